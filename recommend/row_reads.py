"""Rows of a file-backed CSR matrix read with plain file reads instead of through its mapping.

The feature matrix of a loaded index is mmap'd (recommend/index.py). Reading a few thousand
scattered rows through the mapping (`matrix[rows]`) maps far more than it reads: on each page
fault the kernel maps up to 2 MB of page cache around the page (fault-around), and every
mapped page counts in the process's RSS until it is dropped. One paper page of a 1M index
(its ~5,000 similar-paper candidates) left 767 MB of matrix.data/matrix.indices mapped, and
MADV_RANDOM does not stop it. `os.preadv` copies only the bytes asked for out of the page
cache into a private buffer, so RSS grows by the size of the rows and nothing else.

`FileSlices` does the same for single elements and slices of a 1-D part: the look-ups a
served page makes at scattered positions of large parts (a term's hash, its position, its
offsets and bytes in the search term tables, a posting list's bounds). On the 1M index one
paper page's ~200 term look-ups through the mappings left 100-180 MB of the term tables
mapped.
"""

from __future__ import annotations

import mmap
import operator
import os
import weakref

import numpy as np
from scipy import sparse


def read_rows(matrix: sparse.csr_matrix, rows: np.ndarray) -> sparse.csr_matrix:
    """`matrix[rows]` (rows sorted and unique) as a CSR matrix with the same values.

    When `data` and `indices` are file-backed memmaps (np.load(mmap_mode="r")) each row's
    slice is read from the file (rows that touch in one read); otherwise (a matrix in
    memory, a copied array, a read that fails, such as a pruned version's deleted file)
    it is `matrix[rows]`.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if not isinstance(matrix, sparse.csr_matrix) or rows.size == 0:
        return matrix[rows]
    data_file, indices_file = _file_place(matrix.data), _file_place(matrix.indices)
    if data_file is None or indices_file is None:
        return matrix[rows]
    starts = np.asarray(matrix.indptr[rows], dtype=np.int64)
    ends = np.asarray(matrix.indptr[rows + 1], dtype=np.int64)
    try:
        data = _read_slices(data_file, matrix.data.dtype, starts, ends)
        indices = _read_slices(indices_file, matrix.indices.dtype, starts, ends)
    except OSError:
        return matrix[rows]
    indptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=indptr[1:])
    return sparse.csr_matrix((data, indices, indptr), shape=(rows.size, matrix.shape[1]),
                             copy=False)


class FileSlices:
    """A 1-D file-backed array (np.load(mmap_mode="r")) whose elements and slices are read
    from its file with os.preadv rather than through its mapping.

    Indexing gives what indexing the array gives: an int, the element (a numpy scalar); a
    slice of step 1, a new array of those elements. A read that fails (the file shortened,
    say) falls back to the mapping. The file is opened once and closed with the object; an
    open file reads on after the file is deleted (a pruned version), as the mapping does.
    """

    def __init__(self, array: np.ndarray, place: tuple[str, int]) -> None:
        self.array = array
        self.dtype = array.dtype
        self._itemsize = array.dtype.itemsize
        self._length = len(array)
        filename, self._offset = place
        self._fd = os.open(filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key: int | slice) -> np.generic | np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(self._length)
            if step != 1:
                return self.array[key]
            return self._read(start, max(start, stop), key)
        i = operator.index(key)
        at = i + self._length if i < 0 else i
        if not 0 <= at < self._length:
            raise IndexError(f"index {i} is out of bounds for size {self._length}")
        return self._read(at, at + 1, i)[0]

    def _read(self, start: int, stop: int, key: int | slice) -> np.ndarray:
        out = np.empty(stop - start, dtype=self.dtype)
        if stop > start:
            try:
                _read_exactly(self._fd, memoryview(out.view(np.uint8)),
                              self._offset + start * self._itemsize)
            except OSError:
                got = self.array[key]
                return np.array([got] if np.ndim(got) == 0 else got, dtype=self.dtype)
        return out


def file_slices(array: np.ndarray) -> FileSlices | np.ndarray:
    """A `FileSlices` of `array` when it is a contiguous 1-D view of a file-backed memmap
    whose file opens, else `array` itself (indexed as before)."""
    place = _file_place(array)
    if place is None:
        return array
    try:
        return FileSlices(array, place)
    except OSError:
        return array


def _file_place(array: np.ndarray) -> tuple[str, int] | None:
    """(file name, byte offset of array[0]) for a contiguous 1-D view of a file-backed
    memmap, else None.

    The memmap wanted is the one directly over the mmap object: views of a memmap are
    memmaps too, but they carry their parent's `offset`, not their own.
    """
    if array.ndim != 1 or not array.flags.c_contiguous:
        return None
    owner = array
    while owner is not None and not isinstance(getattr(owner, "base", None), mmap.mmap):
        owner = getattr(owner, "base", None)
    if not isinstance(owner, np.memmap) or not owner.filename:
        return None
    shift = array.ctypes.data - owner.ctypes.data
    return str(owner.filename), int(owner.offset) + shift


def _read_slices(place: tuple[str, int], dtype: np.dtype, starts: np.ndarray,
                 ends: np.ndarray) -> np.ndarray:
    """The elements [starts[i], ends[i]) of the array at `place`, concatenated in order."""
    filename, offset = place
    itemsize = np.dtype(dtype).itemsize
    lengths = ends - starts
    nonempty = np.flatnonzero(lengths)
    out = np.empty(int(lengths.sum()), dtype=dtype)
    if nonempty.size == 0:
        return out
    s, e = starts[nonempty], ends[nonempty]
    # rows that touch in the file are read with one call. Reading through gaps as well was
    # measured slower on the 1M index (5,000 random rows, 400 B each, page cache warm: 12
    # ms with reads of touching rows, as `matrix[rows]`, 22-28 ms through gaps of 4-64 KB,
    # most of it picking the rows out of the spans read)
    run_first = np.flatnonzero(np.concatenate(([True], s[1:] != e[:-1])))
    run_start = s[run_first]
    run_end = e[np.append(run_first[1:], len(s)) - 1]
    run_at = np.zeros(len(run_first) + 1, dtype=np.int64)
    np.cumsum(run_end - run_start, out=run_at[1:])
    raw = memoryview(out.view(np.uint8))
    where = (offset + run_start * itemsize).tolist()
    low, high = (run_at[:-1] * itemsize).tolist(), (run_at[1:] * itemsize).tolist()
    with open(filename, "rb", buffering=0) as handle:
        fd = handle.fileno()
        for position, lo, hi in zip(where, low, high, strict=True):  # thousands: kept lean
            if os.preadv(fd, [raw[lo:hi]], position) != hi - lo:
                _read_exactly(fd, raw[lo:hi], position)
    return out


def _read_exactly(fd: int, buffer: memoryview, position: int) -> None:
    """Fill `buffer` from the file at `position`; OSError if the file ends first."""
    done = 0
    while done < len(buffer):
        got = os.preadv(fd, [buffer[done:]], position + done)
        if got == 0:
            raise OSError(f"file ends at {position + done} before {len(buffer) - done} "
                          "more bytes")
        done += got
