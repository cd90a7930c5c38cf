"""The papers that explain a term: the most representative recent papers mentioning it.

Candidates are the papers holding the term in the recent window of the reference month
(the window hot and cooling lists use), within a category if one is asked; when these
are fewer than asked for, earlier papers fill up, newest first. Recent candidates are
ranked by the term's weight in each paper's index features (tf-idf: the term matters in
that paper, it is not a passing mention), then by recency.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse

from recommend.trend_windows import choose_windows
from recommend.trends import TrendTable

PAPERS_PER_TERM = 5


def term_papers(table: TrendTable, term: str, *, matrix: sparse.csr_matrix | None = None,
                column_of: Mapping[str, int] | None = None, month: np.datetime64 | None = None,
                category: str | None = None, n: int = PAPERS_PER_TERM) -> list[int]:
    """Index rows of up to n papers explaining a table term (none for an unknown term)."""
    row = table.row(term)
    if row is None or not len(table.months):
        return []
    ref = table.column(month) if month is not None else len(table.months) - 1
    if ref is None:
        return []
    docs = np.asarray(table.docs_with(row))
    if category:
        docs = docs[table.category_mask(category)[docs]]
    months = np.asarray(table.doc_month)[docs]
    docs, months = docs[months <= ref], months[months <= ref]
    windows = choose_windows(ref)
    start = windows.recent_start if windows else 0
    recent = months >= start
    weights = _weights(matrix, column_of, term, docs)
    # recent papers by weight, then earlier ones newest first; the row breaks ties
    order = np.lexsort((-docs, -months, -np.where(recent, weights, 0.0), ~recent))
    return [int(d) for d in docs[order[:n]]]


def _weights(matrix: sparse.csr_matrix | None, column_of: Mapping[str, int] | None, term: str,
             docs: np.ndarray) -> np.ndarray:
    """The term's feature value in each paper (0 where the index has no such column)."""
    out = np.zeros(len(docs))
    col = column_of.get(term) if column_of is not None else None
    if matrix is None or col is None:
        return out
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    for k, d in enumerate(docs):
        lo, hi = indptr[d], indptr[d + 1]
        at = np.flatnonzero(np.asarray(indices[lo:hi]) == col)  # rows need not be sorted
        if len(at):
            out[k] = float(data[lo + at[0]])
    return out
