"""Search by meaning beside search by words: the fusion step of a plain-words query.

A query of plain words (no quoted phrase, no author:, cat:, year: or id: filter) is ranked
twice, by BM25 over the words and by cosine between its embedding and the papers', and
the two lists are fused by reciprocal rank (recommend/search_fusion.py): a question that
shares no word with a paper can still find it. Phrases and field filters stay exact, as do
saved-search feeds (all words) and the newest-first order. Without an encoder or vectors
the lexical page is returned untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from config import Settings
from recommend.hybrid import nearest_vectors
from recommend.index import Index
from recommend.search import Filters, SearchResult
from recommend.search_fusion import reciprocal_rank_fusion
from recommend.search_query import ParsedQuery
from services.semantic import query_vectors

FUSION_DEPTH = 100            # papers taken from each ranking into the fusion
MIN_COSINE = 0.3              # a vector hit below this is not "close in meaning"


@dataclass(frozen=True)
class FusedPage:
    total: int
    hits: list[tuple[str, float]]
    semantic: int                 # hits on the page found by meaning alone


def is_plain_words(parsed: ParsedQuery) -> bool:
    """Words only: no quoted phrase, field filter or paper id that must match exactly."""
    exact = (parsed.phrases or parsed.exact or parsed.authors or parsed.categories or parsed.ids
             or parsed.years or parsed.jump)
    return bool(parsed.words or parsed.like) and not exact


def fusion_applies(parsed: ParsedQuery, *, sort: str, all_words: bool, offset: int, limit: int) -> bool:
    return (sort == "relevance" and not all_words and is_plain_words(parsed)
            and offset + limit <= FUSION_DEPTH)


def vector_hits(index: Index, settings: Settings, parsed: ParsedQuery, filters: Filters,
                depth: int = FUSION_DEPTH) -> list[tuple[str, float]] | None:
    """(paper id, cosine) of the papers nearest the query in meaning, within the filters;
    None when there is no encoder or no vectors for this index version."""
    found = query_vectors(index, settings)
    if found is None:
        return None
    encoder, vectors = found
    query = np.asarray(encoder.encode([parsed.like or parsed.text or parsed.raw])[0], dtype=np.float32)
    if not query.any():
        return []
    hits = nearest_vectors(vectors.dense, query, depth, allowed=_allowed(index, filters),
                           min_score=MIN_COSINE)
    return [(str(index.ids[r]), score) for r, score in hits]


def _allowed(index: Index, filters: Filters) -> np.ndarray | None:
    if not (filters.categories or filters.since or filters.until):
        return None
    from services.recommendations import category_mask

    mask = np.ones(len(index), dtype=bool)
    for category in filters.categories:
        mask &= category_mask(index, category)
    published = np.asarray(index.published)
    if filters.since:
        mask &= published >= np.datetime64(filters.since, "D")
    if filters.until:
        mask &= published <= np.datetime64(filters.until, "D")
    return mask


def fused_search(index: Index, settings: Settings, parsed: ParsedQuery, filters: Filters,
                 lexical: Callable[[int, int], SearchResult], *, offset: int, limit: int
                 ) -> tuple[SearchResult, FusedPage | None]:
    """The lexical result for the page, and the fused page when meaning takes part.

    lexical(offset, limit) runs the BM25 search; it is asked for the top FUSION_DEPTH when
    the query is fused, else for the page alone.
    """
    semantic = vector_hits(index, settings, parsed, filters)
    if semantic is None:
        return lexical(offset, limit), None
    result = lexical(0, FUSION_DEPTH)
    words = [pid for pid, _ in result.hits]
    fused = reciprocal_rank_fusion(words, [pid for pid, _ in semantic])
    by_words = set(words)
    meaning_only = [pid for pid, _ in semantic if pid not in by_words]
    page = fused[offset:offset + limit]
    return result, FusedPage(result.total + len(meaning_only), page,
                             sum(1 for pid, _ in page if pid not in by_words))
