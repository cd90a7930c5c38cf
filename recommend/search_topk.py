"""Scoring only the papers that can reach the page.

The order is tier first (papers with every word side by side, then every word, then some
of the words), then score (or date). A lower tier is not scored at all when the higher
tiers already fill the page: for most short queries the papers holding every word side
by side are thousands, and the tens of thousands holding only some words are never
scored. The cut is exact: the page is the same as when every paper is scored.

A MaxScore-style bound per group of papers holding the same number of words (skip a
group when the k-th best score beats the most it could reach) was measured on
bench/search.py and left out: on six-word questions it skipped 15% of the rows it
would score and cost more in bookkeeping than it saved (docs/benchmarks.md).
"""

from __future__ import annotations

import numpy as np

from recommend.search_postings import SearchIndex
from recommend.search_query import ParsedQuery
from recommend.search_score import score_rows

PRUNE = True     # tests turn it off to check the cut changes nothing


def needed_tiers(tiers: np.ndarray, top: int) -> np.ndarray:
    """Mask of the rows whose tier can still reach the first `top` places."""
    keep = np.zeros(len(tiers), dtype=bool)
    filled = 0
    for tier in (2, 1, 0):
        if filled >= top:
            break
        in_tier = tiers == tier
        keep |= in_tier
        filled += int(in_tier.sum())
    return keep


def ranked_scores(si: SearchIndex, q: ParsedQuery, rows: np.ndarray, share: np.ndarray,
                  tiers: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, scores, tiers) of the sorted `rows` whose tier can reach the first `top`
    places, each scored and multiplied by its `share` (the coordination factor)."""
    if PRUNE:
        keep = needed_tiers(tiers, top)
        if not keep.all():
            rows, share, tiers = rows[keep], share[keep], tiers[keep]
    return rows, score_rows(si, q, rows) * share, tiers
