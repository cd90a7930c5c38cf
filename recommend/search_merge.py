"""Vectorised edits of the search index's sorted term tables and CSC postings.

An incremental update drops some papers (rows), appends new ones and adds the new
papers' terms to the sorted tables, while terms no paper holds any more disappear. Here:
where new terms sort in a table (`locate`), and the postings' edits, numpy over whole
arrays: columns renumbered by cumulative counts and new rows inserted at the end of each
column, so the cost grows with the size of the arrays, never with a Python loop over them.
The tables themselves are merged a block at a time (recommend/search_table_merge.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommend.search_terms import TermTable

PREFIX_BYTES = 16
# `_prefix_bounds` reads every this-many-th prefix first
DIRECTORY_STRIDE = 256


def _prefixes_at(table: TermTable, positions: np.ndarray, width: int = PREFIX_BYTES
                 ) -> np.ndarray:
    """The first `width` bytes of the terms at `positions`, zero-padded (sorts as the
    table does)."""
    offsets, blob = np.asarray(table.offsets), np.asarray(table.blob)
    starts = offsets[positions]
    lengths = offsets[positions + 1] - starts
    step = np.arange(width)
    at = starts[:, None] + step
    out = blob[np.minimum(at, max(len(blob) - 1, 0))] if len(blob) else np.zeros(at.shape, np.uint8)
    out[step >= lengths[:, None]] = 0       # bytes of the next term
    return np.ascontiguousarray(out, dtype=np.uint8).view(f"S{width}").ravel()


def _prefix_bounds(table: TermTable, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """numpy's searchsorted (left and right) of each `S{PREFIX_BYTES}` key among the
    table's term prefixes, without building every prefix of a table of millions: every
    `DIRECTORY_STRIDE`-th prefix is read and searched with numpy, then a binary search in
    the block between two of them runs for every key at once."""
    n = len(table)
    marks = np.arange(0, n, DIRECTORY_STRIDE, dtype=np.int64)
    directory = _prefixes_at(table, marks)
    bounds = []
    for side in ("left", "right"):
        # marks before j sort before the bound, the mark at j is at or after it
        j = np.searchsorted(directory, keys, side=side)
        lo = np.where(j > 0, marks[np.maximum(j - 1, 0)] + 1, 0) if n else np.zeros(len(keys), np.int64)
        hi = np.where(j < len(marks), marks[np.minimum(j, max(len(marks) - 1, 0))], n) \
            if n else np.zeros(len(keys), np.int64)
        while (open_ := np.flatnonzero(lo < hi)).size:
            mid = (lo[open_] + hi[open_]) // 2
            prefix, key = _prefixes_at(table, mid), keys[open_]
            after = prefix <= key if side == "right" else prefix < key
            lo[open_[after]] = mid[after] + 1
            hi[open_[~after]] = mid[~after]
        bounds.append(lo)
    return bounds[0], bounds[1]


def locate(table: TermTable, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For sorted `terms`: each one's position in `table` (-1 when absent) and the
    position before which it sorts. Compares fixed-width prefixes with numpy; only a
    term at least PREFIX_BYTES long is bisected, over the few terms sharing its prefix."""
    encoded = [t.encode() for t in terms]
    if not encoded:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = np.array(encoded, dtype=f"S{PREFIX_BYTES}")   # truncated to the prefix
    lo, hi = _prefix_bounds(table, keys)
    found = np.where(hi > lo, lo, -1)
    for i in np.flatnonzero([len(e) >= PREFIX_BYTES for e in encoded]):
        lo[i] = table.bisect(encoded[i], int(lo[i]), int(hi[i]))
        found[i] = lo[i] if lo[i] < hi[i] and table.raw(int(lo[i])) == encoded[i] else -1
    return found, lo


def kept_column_counts(matrix: sparse.csc_matrix, keep: np.ndarray) -> np.ndarray:
    """Each column's number of entries in the kept rows."""
    indptr = np.asarray(matrix.indptr)
    if keep.all():
        return np.diff(indptr)
    kept = np.zeros(len(matrix.indices) + 1, dtype=np.int64)
    np.cumsum(keep[np.asarray(matrix.indices)], out=kept[1:])
    return np.diff(kept[indptr])


@dataclass
class Postings:
    """CSC arrays: indptr, row indices and any values aligned with them."""

    indptr: np.ndarray
    indices: np.ndarray
    values: list[np.ndarray]


def merge_postings(base: Postings, keep: np.ndarray, old_to_new: np.ndarray,
                   added: Postings, n_columns: int) -> Postings:
    """Base columns without the rows where `keep` is False (rows renumbered in order) and
    without the columns mapped to -1, moved to their new numbers, with the `added`
    papers' entries (rows counted from 0, columns already new) appended as rows after
    the kept ones."""
    indptr, indices = np.asarray(base.indptr), np.asarray(base.indices)
    counts = np.diff(indptr)
    entry_kept = None if keep.all() else keep[indices]
    if (counts[old_to_new < 0] > 0).any():
        columns_kept = np.repeat(old_to_new >= 0, counts)
        entry_kept = columns_kept if entry_kept is None else entry_kept & columns_kept
    values = [np.asarray(v) for v in base.values]
    n_kept = int(keep.sum())
    if entry_kept is not None:
        kept_before = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(entry_kept, out=kept_before[1:])
        counts = np.diff(kept_before[indptr])
        indices, values = indices[entry_kept], [v[entry_kept] for v in values]
    if n_kept < len(keep):
        renumber = (np.cumsum(keep, dtype=np.int64) - 1).astype(indices.dtype)
        indices = renumber[indices]
    # one int64 array per column instead of five (49M columns at 1M papers): the kept
    # entries of each new column, summed in place into where its added entries go, then
    # the added entries summed in
    new_indptr = np.zeros(n_columns + 1, dtype=np.int64)
    alive = old_to_new >= 0
    new_indptr[1:][old_to_new[alive]] = counts[alive]
    del counts, alive
    np.cumsum(new_indptr, out=new_indptr)
    added_counts = np.diff(np.asarray(added.indptr)).astype(np.int64, copy=False)
    at = np.repeat(new_indptr[1:], added_counts)
    np.cumsum(added_counts, out=added_counts)
    new_indptr[1:] += added_counts
    del added_counts
    n_rows = n_kept + len(added.indptr) - 1
    dtype = indices.dtype if n_rows <= np.iinfo(indices.dtype).max else np.int64
    new_indices = np.insert(indices.astype(dtype, copy=False), at,
                            np.asarray(added.indices, dtype=dtype) + n_kept)
    new_values = [np.insert(v, at, np.asarray(a, dtype=v.dtype))
                  for v, a in zip(values, added.values, strict=True)]
    return Postings(new_indptr, new_indices, new_values)


def to_csc(postings: Postings, n_rows: int, data: np.ndarray) -> sparse.csc_matrix:
    """A CSC matrix of the postings with `data`, index arrays as scipy would choose."""
    n_columns = len(postings.indptr) - 1
    return sparse.csc_matrix((data, postings.indices, postings.indptr),
                             shape=(n_rows, n_columns))
