"""Vectorised edits of the search index's sorted term tables and CSC postings.

An incremental update drops some papers (rows), appends new ones and adds the new
papers' terms to the sorted tables, while terms no paper holds any more disappear. Both
edits are numpy over whole arrays: term bytes are spliced into the packed blob, columns
renumbered by cumulative counts and new rows inserted at the end of each column, so the
cost grows with the size of the arrays, never with a Python loop over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommend.search_terms import TermTable, term_hash


@dataclass
class TableEdit:
    """A table merged with new terms: the table, and where each old term (-1 when
    dropped) and each added term went."""

    table: TermTable
    old_to_new: np.ndarray
    added_to_new: np.ndarray


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


def merge_table(old: TermTable, alive: np.ndarray, added: Sequence[str],
                insert_at: np.ndarray | None = None) -> TableEdit:
    """`old` without the terms where `alive` is False, plus `added` (sorted, none in old;
    `insert_at`: where each sorts in old, as `locate` gives it).

    Memory: besides the merged table and `old_to_new`, only transient int64 arrays of the
    old table's length, freed as soon as used, and none when every old term survives (the
    usual update: papers added, none removed), where the old arrays are read in place."""
    encoded = [t.encode() for t in added]
    if insert_at is None:
        insert_at = locate(old, added)[1]
    old_to_new, added_to_new, survivors = _renumbering(alive, insert_at, len(added))
    offsets = np.asarray(old.offsets)
    lengths = np.diff(offsets)
    blob = np.asarray(old.blob)
    if survivors is None:       # every term survives: the old offsets and bytes as they are
        kept_blob, kept_offsets = blob, offsets
    else:
        kept_blob = blob[np.repeat(alive, lengths)]
        kept_offsets = np.zeros(len(survivors) + 1, dtype=np.int64)
        np.cumsum(lengths[survivors], out=kept_offsets[1:])
    added_lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    # how many kept terms come before each insertion point
    kept_before_insert = added_to_new - np.arange(len(added), dtype=np.int64)
    new_blob = np.insert(kept_blob, np.repeat(kept_offsets[kept_before_insert], added_lengths),
                         np.frombuffer(b"".join(encoded), dtype=np.uint8))
    del kept_blob, kept_offsets
    new_lengths = np.zeros(int(alive.sum()) + len(added), dtype=np.int64)
    if survivors is None:
        new_lengths[old_to_new] = lengths
    else:
        new_lengths[old_to_new[survivors]] = lengths[survivors]
    del lengths, survivors
    new_lengths[added_to_new] = added_lengths
    new_offsets = np.zeros(len(new_lengths) + 1, dtype=np.int64)
    np.cumsum(new_lengths, out=new_offsets[1:])
    del new_lengths
    hashes, hash_pos = _merged_hashes(old, old_to_new, encoded, added_to_new)
    return TableEdit(TermTable(new_blob.astype(np.uint8, copy=False), new_offsets, hashes,
                               hash_pos), old_to_new, added_to_new)


def _renumbering(alive: np.ndarray, insert_at: np.ndarray, n_added: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Where each old term goes (-1: dropped) and each added one, and the positions of the
    surviving old terms (None when all survive)."""
    n = len(alive)
    if alive.all():
        old_to_new = np.arange(n, dtype=np.int64)
        old_to_new += np.searchsorted(insert_at, old_to_new, side="right")
        return old_to_new, insert_at + np.arange(n_added, dtype=np.int64), None
    alive_before = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(alive, out=alive_before[1:])
    old_to_new = np.full(n, -1, dtype=np.int64)
    survivors = np.flatnonzero(alive)
    old_to_new[survivors] = alive_before[survivors] + np.searchsorted(insert_at, survivors,
                                                                      side="right")
    return old_to_new, alive_before[insert_at] + np.arange(n_added, dtype=np.int64), survivors


def _merged_hashes(old: TermTable, old_to_new: np.ndarray, encoded: list[bytes],
                   added_to_new: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The hash index `TermTable.pack` would give: hashes sorted, ties by position."""
    if old.hashes is None:
        return None, None
    positions = old_to_new[np.asarray(old.hash_pos)]
    survives = positions >= 0
    hashes = np.asarray(old.hashes)     # read in place when every term survives
    if not survives.all():
        hashes, positions = hashes[survives], positions[survives]
    del survives
    added_hashes = np.array([term_hash(e) for e in encoded], dtype=np.int64)
    order = np.lexsort((added_to_new, added_hashes))
    added_hashes, added_pos = added_hashes[order], added_to_new[order]
    at = np.searchsorted(hashes, added_hashes)
    # 64-bit collisions: among equal hashes the lower position comes first
    last = max(len(hashes) - 1, 0)
    for i in np.flatnonzero((at < len(hashes)) & (hashes[np.minimum(at, last)] == added_hashes)
                            if len(hashes) else []):
        while (at[i] < len(hashes) and hashes[at[i]] == added_hashes[i]
               and positions[at[i]] < added_pos[i]):
            at[i] += 1
    return np.insert(hashes, at, added_hashes), np.insert(positions, at, added_pos)


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
