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
    # only recent papers are ranked by weight: a common term's earlier papers are most of them
    weights = np.zeros(len(docs))
    weights[recent] = _weights(matrix, column_of, term, docs[recent])
    # recent papers by weight, then earlier ones newest first; the row breaks ties
    order = np.lexsort((-docs, -months, -weights, ~recent))
    return [int(d) for d in docs[order[:n]]]


def _weights(matrix: sparse.csr_matrix | None, column_of: Mapping[str, int] | None, term: str,
             docs: np.ndarray) -> np.ndarray:
    """The term's feature value in each paper (0 where the index has no such column)."""
    col = column_of.get(term) if column_of is not None else None
    if matrix is None or col is None or not len(docs):
        return np.zeros(len(docs))
    # one gather over the papers' entries, not a Python step per paper: a common term is in
    # tens of thousands of papers. Rows need not be sorted; a row holds a column at most once
    starts, ends = matrix.indptr[docs], matrix.indptr[docs + 1]
    lengths = ends - starts
    entry = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    hit = np.asarray(matrix.indices[entry]) == col
    out = np.zeros(len(docs))
    out[np.repeat(np.arange(len(docs)), lengths)[hit]] = matrix.data[entry[hit]]
    return out
