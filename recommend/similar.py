"""Nearest papers by cosine similarity over L2-normalised feature rows.

Rows have unit length, so cosine similarity is a dot product: one sparse
matrix-vector product scores every paper, and argpartition picks the top k without
sorting all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from scipy import sparse

from recommend.row_reads import read_rows


def similar(
    matrix: sparse.csr_matrix, row: int, k: int = 10, *, exclude_self: bool = True,
    min_score: float = 0.0,
) -> list[tuple[int, float]]:
    """The k rows most similar to `row`, best first, as (row, cosine) pairs.

    Only rows scoring above min_score are returned (by default, rows sharing at least
    one term), so a paper with unusual words can get fewer than k.
    """
    if not 0 <= row < matrix.shape[0]:
        raise IndexError(f"row {row} out of range for {matrix.shape[0]} rows")
    exclude = (row,) if exclude_self else ()
    return similar_to_vector(matrix, matrix[row], k, exclude=exclude, min_score=min_score)


def similar_to_vector(
    matrix: sparse.csr_matrix, vec: np.ndarray | sparse.spmatrix | sparse.sparray,
    k: int = 10, *, exclude: Iterable[int] = (), min_score: float = 0.0,
) -> list[tuple[int, float]]:
    """The k rows with the largest dot product with `vec` (dense or 1 x n_terms sparse).

    With `vec` of unit length (a paper's row, a normalised centroid) the scores are
    cosines. Rows in `exclude` are skipped; ties are broken by row number.
    """
    return top_k(scores_for(matrix, vec), k, exclude=exclude, min_score=min_score)


def scores_for(
    matrix: sparse.csr_matrix, vec: np.ndarray | sparse.spmatrix | sparse.sparray,
) -> np.ndarray:
    """Dot product of every row with `vec`, as a dense float32 array."""
    if sparse.issparse(vec):
        dense = np.zeros(matrix.shape[1], dtype=np.float32)
        vec = sparse.csr_matrix(vec)
        dense[vec.indices] = vec.data
        vec = dense
    vec = np.asarray(vec, dtype=np.float32).ravel()
    if vec.shape[0] != matrix.shape[1]:
        raise ValueError(f"vector has {vec.shape[0]} terms, matrix {matrix.shape[1]}")
    return np.asarray(matrix @ vec, dtype=np.float32).ravel()


def top_k(
    scores: np.ndarray, k: int, *, exclude: Iterable[int] = (), min_score: float = -np.inf,
) -> list[tuple[int, float]]:
    """Indices of the k largest scores above min_score, best first (ties by index)."""
    scores = np.array(scores, dtype=np.float32, copy=True).ravel()
    excluded = np.fromiter(exclude, dtype=np.int64)
    if excluded.size:
        scores[excluded] = -np.inf
    candidates = np.flatnonzero(scores > min_score)
    if k <= 0 or candidates.size == 0:
        return []
    if candidates.size > k:
        # keep everything tied with the k-th score, so ties resolve by index below
        kth = -np.partition(-scores[candidates], k - 1)[k - 1]
        candidates = candidates[scores[candidates] >= kth]
    order = np.lexsort((candidates, -scores[candidates]))[:k]
    return [(int(i), float(scores[i])) for i in candidates[order]]


def shared_term_rows(matrix: sparse.csr_matrix, row: int,
                     column_rows: Callable[[int, int], np.ndarray | None], budget: int
                     ) -> np.ndarray:
    """Sorted rows sharing one of `row`'s terms, heaviest terms first, at most about
    `budget` of them: a term whose papers would pass the budget is left out (the common
    ones, which weigh little in a cosine), so the papers most like `row` are almost always
    among them. column_rows(j, at_most) gives the rows holding the term of column j, or
    None when more than `at_most` hold it (a reader that knows the count first need not
    read them)."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    columns, weights = matrix.indices[start:end], matrix.data[start:end]
    found, size = [np.array([row], dtype=np.int64)], 1
    for j in columns[np.argsort(-weights, kind="stable")]:
        if size >= budget:      # full: only terms no paper holds would still fit
            break
        holders = column_rows(int(j), budget - size)
        if holders is not None and size + len(holders) <= budget:
            found.append(holders.astype(np.int64, copy=False))
            size += len(holders)
    return np.unique(np.concatenate(found))


def nearest_among(matrix: sparse.csr_matrix, row: int, candidates: np.ndarray, k: int, *,
                  min_score: float = 0.0) -> list[tuple[int, float]]:
    """The k of `candidates` (sorted rows) nearest `row` by cosine, best first (ties by
    row): `top_k` of `scores_for` over those rows only. The rows are read with
    `read_rows`, so a mmap'd matrix does not map pages around every scattered row."""
    candidates = np.asarray(candidates, dtype=np.int64)
    scores = scores_for(read_rows(matrix, candidates), read_rows(matrix, np.array([row])))
    at = np.searchsorted(candidates, row)
    exclude = (int(at),) if at < len(candidates) and candidates[at] == row else ()
    return [(int(candidates[i]), s) for i, s in top_k(scores, k, exclude=exclude,
                                                      min_score=min_score)]
