"""Reciprocal-rank fusion of a lexical (BM25) ranking and a vector ranking.

RRF (Cormack, Clarke and Büttcher, SIGIR 2009) scores a paper by sum(1 / (k + rank)) over
the rankings it appears in. It needs no calibration between BM25 scores and cosines, so a
paper both rankings like rises, and a paper that shares no word with the query but is
close in meaning still enters the list. Pure Python over ids and ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

Key = TypeVar("Key")
RRF_K = 60          # the constant from the paper: damps the head of each list


def reciprocal_rank_fusion(*rankings: Sequence[Key], k: int = RRF_K,
                           weights: Sequence[float] | None = None) -> list[tuple[Key, float]]:
    """Fuse rankings (each best first, without repeats) into one: (key, fused score), best
    first; ties keep the order of the first ranking that holds the key."""
    if k < 0:
        raise ValueError("the RRF constant k must be >= 0")
    weights = weights or [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[Key, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    order = {key: i for i, key in enumerate(fused)}
    return sorted(fused.items(), key=lambda item: (-item[1], order[item[0]]))
