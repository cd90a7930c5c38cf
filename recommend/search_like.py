"""Query by example: a long pasted text ranks the papers most like it.

Cosine of the text's TF-IDF vector with every paper's, in the recommendation features
(the index's matrix): one sparse matrix-vector product.
"""

from __future__ import annotations

import numpy as np

from recommend.search_match import Filters, SearchResult, filter_rows
from recommend.search_postings import SearchIndex, positions
from recommend.search_query import ParsedQuery
from recommend.search_score import order_rows
from recommend.text import analyze


def like_search(si: SearchIndex, q: ParsedQuery, filters: Filters = Filters(), *,
                sort: str = "relevance", offset: int = 0, limit: int = 25) -> SearchResult:
    """Papers like the text `q.like`: cosine of its TF-IDF vector in the recommendation
    features (the index's matrix) with every paper's; papers with no term in common are
    left out."""
    scores = like_scores(si.index, q.like)
    if scores is None:
        return SearchResult(0, [])
    allowed = filter_rows(si, q, filters)
    rows = np.flatnonzero(scores > 0)
    if allowed is not None:
        rows = rows[positions(rows, allowed)[1]]
    if not len(rows):
        return SearchResult(0, [])
    top = scores[rows]
    order = order_rows(si, rows, top, sort, offset + limit)[offset:offset + limit]
    hits = [(str(si.ids[rows[i]]), round(float(top[i]), 4)) for i in order]
    return SearchResult(len(rows), hits, all_words=len(rows))


def like_scores(index, text: str) -> np.ndarray | None:
    """Cosine of `text` with every paper in the index's feature space, or None when the
    index has no features (or the text no feature term)."""
    matrix = getattr(index, "matrix", None)
    weighted = query_tfidf(index, text) if matrix is not None else None
    if weighted is None:
        return None
    columns, weights = weighted
    vector = np.zeros(matrix.shape[1], dtype=np.float32)
    vector[columns] = weights
    return np.asarray(matrix @ vector).ravel()


def query_tfidf(index, text: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(columns, unit TF-IDF weights) of `text` in the index's feature space, as a paper's
    row is weighted; None when the text holds no feature term."""
    counts: dict[int, int] = {}
    for term in analyze(text):
        j = index.column_of.get(term)
        if j is not None:
            counts[j] = counts.get(j, 0) + 1
    if not counts:
        return None
    columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    weights = (1 + np.log(tf)) * np.asarray(index.idf)[columns]
    return columns, (weights / np.linalg.norm(weights)).astype(np.float32)
