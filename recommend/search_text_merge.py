"""The incremental update's text postings merged and written a block of columns at a time.

`search_update` used to merge search_text's postings (row indices, term counts) whole,
then compute every BM25 weight, and hold all of those arrays until they were saved: at
1M papers the update's memory peak (issue 21). Here the merged column sizes are counted
first (one int64 per column), which gives the merged indptr, every term's idf and the
block bounds; each block of merged columns is then merged from the base's columns that
land in it and the new papers' entries, weighted, and handed to the writer
(`recommend.index_stream`), so only one block's arrays are held. The parts equal the
whole-array merge's byte for byte; the price is merging each block once per file written
(maxima, weights, row indices, counts), reading the base's block again each time. That
price is small: a block's merge is mostly a copy. Merging each block once, its outputs
written to spill files and saved from there, took the same time at 100k papers and on a
95M-posting merge, for 12 bytes a posting written and read back (docs/benchmarks.md,
"Duplicated and dead code removed").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from recommend.index_stream import StreamedArray, StreamedSparse
from recommend.search_build import BM25_B, BM25_K1, _entries_column_max, bm25_idf
from recommend.search_merge import Postings, merge_postings
from recommend.search_state import tf_dtype
from recommend.search_terms import PREFIX

# merged entries per block (a column longer than this is a block of its own)
TEXT_BLOCK = 1 << 22


@dataclass
class TextMerge:
    """The base's text postings, the rows kept, where each base column goes and the new
    papers' entries (CSC over the merged columns, `values`: their counts)."""

    indptr: np.ndarray
    indices: np.ndarray
    tf: np.ndarray
    keep: np.ndarray
    old_to_new: np.ndarray
    added: Postings
    n_columns: int
    release: Callable[[], object] = lambda: None   # drops the base's mapped pages


def streamed_text_parts(merge: TextMerge, lengths: np.ndarray, block: int = TEXT_BLOCK
                        ) -> dict[str, StreamedSparse | StreamedArray | np.ndarray]:
    """search_text (BM25 over the merged counts, `lengths`: each merged paper's length),
    search_text_max, search_text_tf and search_doc_len, the first and third written a
    block at a time when saved."""
    indptr = _merged_indptr(merge, block)
    new_bounds, old_bounds = _block_bounds(merge, indptr, block)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths.astype(np.float32)
                      / max(float(lengths.astype(np.float32).mean()), 1.0))
    norm = norm.astype(np.float32)
    idf = bm25_idf(np.diff(indptr), len(lengths))
    work_dtype = np.promote_types(merge.tf.dtype, merge.added.values[0].dtype)

    def blocks() -> Iterator[tuple[int, int, Postings]]:
        for c0, c1, o0, o1 in zip(new_bounds[:-1], new_bounds[1:], old_bounds[:-1],
                                  old_bounds[1:], strict=True):
            yield int(c0), int(c1), _merged_block(merge, int(c0), int(c1), int(o0), int(o1),
                                                   work_dtype)
            merge.release()

    def weights() -> Iterator[np.ndarray]:
        for c0, c1, part in blocks():
            yield _bm25(part, norm, idf[c0:c1])

    text_max, max_count = np.zeros(merge.n_columns, dtype=np.float32), 0
    for c0, c1, part in blocks():
        text_max[c0:c1] = _entries_column_max(_bm25(part, norm, idf[c0:c1]), part.indptr)
        max_count = max(max_count, int(part.values[0].max(initial=0)))
    nnz, n_rows = int(indptr[-1]), len(lengths)
    index_dtype = np.dtype(np.int32 if max(n_rows, merge.n_columns, nnz)
                           <= np.iinfo(np.int32).max else np.int64)
    count_dtype = np.dtype(tf_dtype(max_count))
    text = StreamedSparse(
        "csc", (n_rows, merge.n_columns), StreamedArray(np.dtype(np.float32), nnz, weights),
        StreamedArray(index_dtype, nnz, lambda: (p.indices for _, _, p in blocks())),
        indptr.astype(index_dtype))
    tf = StreamedArray(count_dtype, nnz, lambda: (p.values[0] for _, _, p in blocks()))
    return {f"{PREFIX}text": text, f"{PREFIX}text_max": text_max, f"{PREFIX}text_tf": tf,
            f"{PREFIX}doc_len": lengths}


def _bm25(part: Postings, norm: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """The block's weights: `search_build.bm25_weights`'s float32 operations, entry by
    entry."""
    count = part.values[0].astype(np.float32)
    column_idf = np.repeat(idf, np.diff(part.indptr))
    return count * np.float32(BM25_K1 + 1) / (count + norm[part.indices]) * column_idf


def _merged_indptr(merge: TextMerge, block: int) -> np.ndarray:
    """The merged columns' indptr: each base column's kept entries moved to its new
    column, plus the new papers' entries."""
    kept = _kept_counts(merge, block)
    alive = merge.old_to_new >= 0
    indptr = np.zeros(merge.n_columns + 1, dtype=np.int64)
    indptr[1:][merge.old_to_new[alive]] = kept[alive]
    del kept, alive
    np.cumsum(indptr, out=indptr)
    # the new papers' indptr is their cumulative counts: added in place, no per-column copy
    indptr += np.asarray(merge.added.indptr)
    return indptr


def _kept_counts(merge: TextMerge, block: int) -> np.ndarray:
    """Each base column's entries in kept rows, counted a block of entries at a time."""
    indptr = np.asarray(merge.indptr).astype(np.int64, copy=False)
    if merge.keep.all():
        return np.diff(indptr)
    out = np.empty(len(indptr) - 1, dtype=np.int64)
    bounds = _entry_bounds(indptr, block)
    for o0, o1 in zip(bounds[:-1], bounds[1:], strict=True):
        lo, hi = indptr[o0], indptr[o1]
        kept = np.zeros(hi - lo + 1, dtype=np.int64)
        np.cumsum(merge.keep[np.asarray(merge.indices[lo:hi])], out=kept[1:])
        out[o0:o1] = np.diff(kept[indptr[o0:o1 + 1] - lo])
        merge.release()
    return out


def _entry_bounds(indptr: np.ndarray, block: int) -> np.ndarray:
    """Column bounds 0 = b0 < b1 < ... = n of blocks of about `block` entries each."""
    n = len(indptr) - 1
    starts = np.searchsorted(indptr, np.arange(0, int(indptr[-1]), block), side="right") - 1
    return np.unique(np.concatenate([[0], starts, [n]]).astype(np.int64))


def _block_bounds(merge: TextMerge, indptr: np.ndarray, block: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The merged columns' block bounds and, for each, the first base column at or after
    it: `old_to_new` increases over the surviving columns (the tables are merged in
    order), so a block's base columns are one range, with dropped ones among them."""
    new_bounds = _entry_bounds(indptr, block)
    reached = np.maximum.accumulate(merge.old_to_new)
    return new_bounds, np.searchsorted(reached, new_bounds, side="left")


def _merged_block(merge: TextMerge, c0: int, c1: int, o0: int, o1: int,
                  work_dtype: np.dtype) -> Postings:
    """Merged columns c0..c1 from base columns o0..o1 and the new papers' entries: what
    `merge_postings` gives for those columns of the whole arrays."""
    indptr = np.asarray(merge.indptr[o0:o1 + 1]).astype(np.int64)
    lo, hi = int(indptr[0]), int(indptr[-1])
    base = Postings(indptr - lo, np.asarray(merge.indices[lo:hi]),
                    [np.asarray(merge.tf[lo:hi]).astype(work_dtype, copy=False)])
    old_to_new = merge.old_to_new[o0:o1]
    old_to_new = np.where(old_to_new >= 0, old_to_new - c0, -1)
    added_indptr = np.asarray(merge.added.indptr)
    a_lo, a_hi = int(added_indptr[c0]), int(added_indptr[c1])
    added = Postings(added_indptr[c0:c1 + 1] - a_lo, np.asarray(merge.added.indices[a_lo:a_hi]),
                     [np.asarray(merge.added.values[0][a_lo:a_hi])])
    return merge_postings(base, merge.keep, old_to_new, added, c1 - c0)
