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
    windows = choose_windows(ref)
    start = windows.recent_start if windows else 0
    mask = table.category_mask(category) if category else None
    recent, earlier = _candidates(table, table.docs_with(row), start, ref, mask, n)
    # only recent papers are ranked by weight: a common term's earlier papers are most of them
    weights = _weights(matrix, column_of, term, recent)
    doc_month = np.asarray(table.doc_month)
    # recent papers by weight, then earlier ones newest first; the row breaks ties
    chosen = recent[_top(n, weights, doc_month[recent], recent)]
    if len(chosen) < n:
        more = _top(n - len(chosen), doc_month[earlier], earlier)
        chosen = np.concatenate([chosen, earlier[more]])
    return [int(d) for d in chosen]


def _candidates(table: TrendTable, postings: np.ndarray, start: int, ref: int,
                mask: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The term's papers (index rows) of months start..ref, and those of earlier months
    (only the newest n when every one can count), within the mask. When the index's rows
    follow the months (a full build reads the store oldest first), the recent
    papers are one slice of the postings, found by bisection: a common term's million
    postings are not read."""
    if table.months_in_order:
        first, end = np.searchsorted(table.doc_month, [start, ref + 1])
        lo, hi = np.searchsorted(postings, [first, end])
        recent, earlier = np.asarray(postings[lo:hi]), np.asarray(postings[:lo])
        if mask is None:
            earlier = earlier[max(0, len(earlier) - n):]    # the newest are the last rows
    else:
        docs = np.asarray(postings)
        months = np.asarray(table.doc_month)[docs]
        recent, earlier = docs[(months >= start) & (months <= ref)], docs[months < start]
    if mask is not None:
        recent, earlier = recent[mask[recent]], earlier[mask[earlier]]
    return recent, earlier


def _top(n: int, *keys: np.ndarray) -> np.ndarray:
    """Positions of the n largest entries by the keys (the first decides, later ones break
    its ties; the last key is distinct), largest first: what a descending lexsort of all
    entries would put first, found by partitioning instead of sorting a million postings."""
    chosen = np.arange(len(keys[0]))
    if len(chosen) > n:
        chosen = _best(chosen, n, keys)
    return chosen[np.lexsort(tuple(-k[chosen] for k in reversed(keys)))]


def _best(candidates: np.ndarray, n: int, keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """The n best of the candidates (more than n) by the keys, in no order."""
    values = keys[0][candidates]
    cut = np.partition(values, len(values) - n)[len(values) - n]   # the n-th largest value
    above, tied = candidates[values > cut], candidates[values == cut]
    wanted = n - len(above)
    if len(tied) > wanted and len(keys) > 1:
        tied = _best(tied, wanted, keys[1:])
    return np.concatenate([above, tied[:wanted]])


def _weights(matrix: sparse.csr_matrix | None, column_of: Mapping[str, int] | None, term: str,
             docs: np.ndarray) -> np.ndarray:
    """The term's feature value in each paper (0 where the index has no such column).

    Rows are searched as sorted (as the index writes them): a few reads per paper, not its
    whole row; a paper where that finds no entry has its whole row read, so a row in another
    order is still read right."""
    col = column_of.get(term) if column_of is not None else None
    out = np.zeros(len(docs))
    if matrix is None or col is None or not len(docs):
        return out
    indices = matrix.indices
    lo, hi = np.asarray(matrix.indptr[docs], np.int64), np.asarray(matrix.indptr[docs + 1], np.int64)
    ends = hi.copy()
    while True:                                 # leftmost position whose column is >= col
        live = np.flatnonzero(lo < hi)
        if not len(live):
            break
        mid = (lo[live] + hi[live]) // 2
        below = np.asarray(indices[mid]) < col
        lo[live[below]], hi[live[~below]] = mid[below] + 1, mid[~below]
    found = lo < ends
    found[found] = np.asarray(indices[lo[found]]) == col
    out[found] = matrix.data[lo[found]]
    missed = np.flatnonzero(~found)
    out[missed] = _row_weights(matrix, col, docs[missed])
    return out


def _row_weights(matrix: sparse.csr_matrix, col: int, docs: np.ndarray) -> np.ndarray:
    """The column's value in each paper, reading the papers' whole rows."""
    # one gather over the papers' entries, not a Python step per paper. A row holds a
    # column at most once
    starts, ends = matrix.indptr[docs], matrix.indptr[docs + 1]
    lengths = ends - starts
    entry = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    hit = np.asarray(matrix.indices[entry]) == col
    out = np.zeros(len(docs))
    out[np.repeat(np.arange(len(docs)), lengths)[hit]] = matrix.data[entry[hit]]
    return out
