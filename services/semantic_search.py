"""Search by meaning beside search by words: the fusion step of a plain-words query.

A query of plain words (no quoted phrase, no author:, cat:, year: or id: filter) is ranked
three times: by BM25 over the words, by cosine between its embedding and the papers', and by
cosine between its LSA vector and the papers' (recommend/lsa.py, when the index version has
them); the lists are fused by reciprocal rank (recommend/search_fusion.py): a question that
shares no word with a paper can still find it. Phrases and field filters stay exact, as do
saved-search feeds (all words) and the newest-first order. Without an encoder or vectors
the lexical page is returned untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from config import Settings
from recommend import lsa
from recommend.hybrid import nearest_vectors
from recommend.index import Index
from recommend.search import Filters, SearchResult
from recommend.search_fusion import reciprocal_rank_fusion
from recommend.search_like import query_tfidf
from recommend.search_query import ParsedQuery
from services.semantic import ann_of, query_vectors

FUSION_DEPTH = 100            # papers taken from each ranking into the fusion
MIN_COSINE = 0.3              # an embedding hit below this is not "close in meaning"
# RRF constant and the weight of each meaning side against the words' 1, chosen on the
# shared topic collections (docs/semantic.md: bench/fusion_quality.py)
FUSION_K = 30
MEANING_WEIGHT = 0.5
# the weights scaled to sum to 1, so a fused score stays under 1 / (k + 1) (the API's scale)
SIDE_SHARES = [w / (1.0 + 2 * MEANING_WEIGHT) for w in (1.0, MEANING_WEIGHT, MEANING_WEIGHT)]


@dataclass(frozen=True)
class FusedPage:
    total: int
    hits: list[tuple[str, float]]   # (paper id, RRF score), best first
    semantic: int                   # hits on the page found by meaning alone
    meaning_only: int               # of total, papers found by meaning alone


def is_plain_words(parsed: ParsedQuery) -> bool:
    """Words only: no quoted phrase, field filter or paper id that must match exactly."""
    exact = (parsed.phrases or parsed.exact or parsed.authors or parsed.categories or parsed.ids
             or parsed.years or parsed.jump)
    return bool(parsed.words or parsed.like) and not exact


def fusion_applies(parsed: ParsedQuery, *, sort: str, all_words: bool) -> bool:
    """Whether the query is fused with vector search (when there are vectors), on every page."""
    return sort == "relevance" and not all_words and is_plain_words(parsed)


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
                           min_score=MIN_COSINE, ann=ann_of(index))
    return [(str(index.ids[r]), score) for r, score in hits]


def lsa_hits(index: Index, parsed: ParsedQuery, filters: Filters, depth: int = FUSION_DEPTH
             ) -> list[tuple[str, float]]:
    """(paper id, cosine) of the papers nearest the query's LSA vector, within the filters;
    empty when the index version has no LSA parts or the query no feature term."""
    if not lsa.has_lsa(index):
        return []
    weighted = query_tfidf(index, parsed.like or parsed.text or parsed.raw)
    query = None if weighted is None else lsa.query_vector(index, *weighted)
    if query is None:
        return []
    hits = lsa.nearest_papers(index, query, depth, allowed=_allowed(index, filters))
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
                 lexical: Callable[[int, int], SearchResult],
                 matched: Callable[[list[str]], set[str]], *, offset: int, limit: int
                 ) -> tuple[SearchResult, FusedPage | None]:
    """The lexical result, and the fused page when meaning takes part.

    lexical(offset, limit) runs the BM25 search; matched(ids) says which papers it ranks at
    any depth. The fused ranking is the RRF of the top FUSION_DEPTH of each list, followed
    by the lexical matches ranked below FUSION_DEPTH (minus those fused already), scored as
    RRF scores them (1 / (k + lexical rank)), so they rank after every fused paper: paging
    walks one list in which every matching paper appears once, `total` long.
    """
    semantic = vector_hits(index, settings, parsed, filters)
    if semantic is None:
        return lexical(offset, limit), None
    head = lexical(0, FUSION_DEPTH)
    words = [pid for pid, _ in head.hits]
    meaning = [[pid for pid, _ in semantic], [pid for pid, _ in lsa_hits(index, parsed, filters)]]
    fused = reciprocal_rank_fusion(words, *meaning, k=FUSION_K, weights=SIDE_SHARES)
    vector_ids = list(dict.fromkeys(meaning[0] + meaning[1]))
    by_words = matched(vector_ids)          # against every lexical match, not the top 100
    meaning_only = {pid for pid in vector_ids if pid not in by_words}
    total = head.total + len(meaning_only)
    page = fused[offset:offset + limit]
    if offset + limit > len(fused) and head.total > len(words):
        page += _lexical_tail(lexical, {pid for pid, _ in fused}, len(words),
                              max(0, offset - len(fused)), offset + limit - len(fused),
                              fused[-1][1] if fused else 1.0 / FUSION_K)
    return head, FusedPage(total, page, sum(1 for pid, _ in page if pid in meaning_only),
                           len(meaning_only))


def _lexical_tail(lexical: Callable[[int, int], SearchResult], fused: set[str], start: int,
                  begin: int, end: int, floor: float) -> list[tuple[str, float]]:
    """Positions [begin, end) of the lexical ranking below rank `start`, without the papers
    already in the fused list, scored as RRF scores a paper of that lexical rank, scaled so
    the first one scores no more than `floor` (the last fused paper's score)."""
    deeper = lexical(start, end + len(fused))       # enough to skip every fused paper in it
    kept = [(start + i + 1, pid) for i, (pid, _) in enumerate(deeper.hits) if pid not in fused]
    scale = min(SIDE_SHARES[0], floor * (FUSION_K + start + 1))
    return [(pid, scale / (FUSION_K + rank)) for rank, pid in kept[begin:end]]
