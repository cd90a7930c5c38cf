"""A papers x terms count matrix read a block of columns at a time, in memory or on disk.

A full build's count matrix (every (paper, term) pair: about 250M entries and 2 GB at 1M
papers) is what the features, the trends and the search parts are made from. Held in
memory beside the parts made from it, it set the build's peak. `CountColumns.spill`
writes its entries to two flat files (data, indices) and keeps only the column pointers
in memory; each reader then reads the columns it needs, a bounded block at a time, with
plain file reads (`np.fromfile`). A memory-mapped file would do as well for the reads, but
every page read would stay resident, and counted in the process's RSS, until unmapped.

In memory (`CountColumns.of`), the same calls slice the matrix's arrays, so a caller
without a spill directory (the separate passes, the tests) gets the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from scipy import sparse

from recommend.index_stream import read_range

# entries read at a time when a block of columns is gathered (each read holds its data
# and indices: 8 bytes an entry)
READ_ENTRIES = 1 << 22


class CountColumns:
    """A CSC matrix's columns: `indptr` in memory, entries in memory or in files."""

    def __init__(self, shape: tuple[int, int], indptr: np.ndarray,
                 data: np.ndarray | Path, indices: np.ndarray | Path,
                 dtypes: tuple[np.dtype, np.dtype]) -> None:
        self.shape = shape
        self.indptr = indptr
        self._data = data
        self._indices = indices
        self.data_dtype, self.index_dtype = dtypes

    @classmethod
    def of(cls, matrix: sparse.csc_matrix | CountColumns) -> CountColumns:
        """The columns of an in-memory CSC matrix (rows sorted within each column)."""
        if isinstance(matrix, CountColumns):
            return matrix
        return cls(matrix.shape, matrix.indptr, matrix.data, matrix.indices,
                   (matrix.data.dtype, matrix.indices.dtype))

    @classmethod
    def spill(cls, matrix: sparse.csc_matrix, directory: Path,
              name: str = "counts") -> CountColumns:
        """Write the matrix's entries to `directory` and read them from there; the caller
        drops its matrix to free them (`indptr` is kept, as int64)."""
        data_path, indices_path = directory / f"{name}.data", directory / f"{name}.indices"
        matrix.data.tofile(data_path)
        matrix.indices.tofile(indices_path)
        return cls(matrix.shape, matrix.indptr.astype(np.int64), data_path, indices_path,
                   (matrix.data.dtype, matrix.indices.dtype))

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    @property
    def on_disk(self) -> bool:
        return isinstance(self._data, Path)

    def remove(self) -> None:
        """Delete the spilled files (nothing to do in memory)."""
        for path in (self._data, self._indices):
            if isinstance(path, Path):
                path.unlink(missing_ok=True)

    def data(self, start: int, stop: int) -> np.ndarray:
        """The stored values of entries [start, stop)."""
        return _read(self._data, self.data_dtype, start, stop)

    def indices(self, start: int, stop: int) -> np.ndarray:
        """The row numbers of entries [start, stop)."""
        return _read(self._indices, self.index_dtype, start, stop)

    def entry_blocks(self, max_entries: int = READ_ENTRIES) -> Iterator[tuple[int, int]]:
        """[start, stop) ranges of about `max_entries` entries that end at column ends
        (a longer column is a block of its own), as column ranges (first, end)."""
        n_cols, indptr = self.shape[1], self.indptr
        first = 0
        while first < n_cols:
            end = int(np.searchsorted(indptr, indptr[first] + max_entries, side="right")) - 1
            end = min(max(end, first + 1), n_cols)
            yield first, end
            first = end

    def column_range(self, first: int, end: int) -> sparse.csc_matrix:
        """Columns [first, end) as a CSC matrix of their own."""
        a, b = int(self.indptr[first]), int(self.indptr[end])
        indptr = (self.indptr[first:end + 1] - a).astype(self.index_dtype)
        return sparse.csc_matrix((self.data(a, b), self.indices(a, b), indptr),
                                 shape=(self.shape[0], end - first))

    def columns(self, columns: np.ndarray) -> sparse.csc_matrix:
        """The given increasing columns as a CSC matrix (as matrix[:, columns]), read a
        window of at most READ_ENTRIES entries (or one column) at a time."""
        indptr = self._selected_indptr(columns)
        data = self._gather(self.data, columns, indptr, self.data_dtype)
        indices = self._gather(self.indices, columns, indptr, self.index_dtype)
        return sparse.csc_matrix((data, indices, indptr.astype(self.index_dtype)),
                                 shape=(self.shape[0], len(columns)))

    def column_indices(self, columns: np.ndarray) -> np.ndarray:
        """The row numbers of `columns(columns)`, without reading the values."""
        return self._gather(self.indices, columns, self._selected_indptr(columns),
                            self.index_dtype)

    def _selected_indptr(self, columns: np.ndarray) -> np.ndarray:
        indptr = np.zeros(len(columns) + 1, dtype=np.int64)
        sizes = self.indptr[columns + 1].astype(np.int64) - self.indptr[columns]
        np.cumsum(sizes, out=indptr[1:])
        return indptr

    def _gather(self, read: Callable[[int, int], np.ndarray], columns: np.ndarray,
                indptr: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """The entries of the increasing `columns` (`read(start, stop)`: entries of the
        matrix), read a window of at most READ_ENTRIES entries (or one column) at a time."""
        starts = self.indptr[columns].astype(np.int64)
        sizes = np.diff(indptr)
        out = np.empty(int(indptr[-1]), dtype=dtype)
        for lo, hi in _windows(starts, sizes):
            a, b = int(starts[lo]), int(starts[hi - 1] + sizes[hi - 1])
            # each selected column's entries, as positions within the window read
            within = np.repeat(starts[lo:hi] - a - indptr[lo:hi], sizes[lo:hi])
            within += np.arange(indptr[lo], indptr[hi])
            out[indptr[lo]:indptr[hi]] = read(a, b)[within]
        return out


def _windows(starts: np.ndarray, sizes: np.ndarray) -> Iterator[tuple[int, int]]:
    """Runs [lo, hi) of the selected columns whose span on disk is at most READ_ENTRIES
    (a column longer than that is a run of its own)."""
    lo, n = 0, len(starts)
    ends = starts + sizes
    while lo < n:
        hi = int(np.searchsorted(ends, starts[lo] + READ_ENTRIES, side="right"))
        hi = min(max(hi, lo + 1), n)
        yield lo, hi
        lo = hi


def _read(source: np.ndarray | Path, dtype: np.dtype, start: int, stop: int) -> np.ndarray:
    if not isinstance(source, Path):
        return source[start:stop]
    return read_range(source, dtype, start, stop)
