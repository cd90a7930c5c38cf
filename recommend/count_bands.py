"""The text count matrix written to the spill directory a band of columns at a time.

`search_runs.column_matrix` makes the papers x terms CSC matrix whole in memory (8 bytes
an entry: 1 GB at 100k papers with 30k full texts, about 3 GB projected at 1M with them) and
`CountColumns.spill` then writes it. Here the same files are written without the whole
matrix ever in memory:

1. each run is read once: its entries are counted per final column, and the run is
   written back column-major (CSC: its counts, rows, column pointers and its map to the
   final columns), so that any range of final columns is one range of each run's files;
2. the columns are cut into bands of at most `BAND_BYTES` of entries, and each band is
   gathered from the runs (a range of each run's files) into place and appended to the
   data and indices files that `CountColumns` reads.

Each column holds the first run's rows, then the second's, ..., rows in order within a
run, as `column_matrix` places them, so the files are byte for byte what spilling its
matrix writes. What stays in memory is the final column pointers (int64, kept by the
`CountColumns` anyway), one band and one run's share of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommend.count_columns import CountColumns
from recommend.index_stream import read_range
from recommend.search_runs import Run

# a band's entries held in memory (float32 data and int32 or int64 rows) while gathered
BAND_BYTES = 256 << 20
# the files of a run written column-major: counts (int32), rows (int32), column pointers
# (int64) and each column's final column (int64)
_PARTS = ("data", "rows", "indptr", "cols")


@dataclass(frozen=True)
class _ColumnRun:
    """One run written column-major (`_PARTS`, files named after `stem`)."""

    stem: Path
    n_cols: int
    n_rows: int
    row0: int           # the run's first row in the final matrix

    def path(self, part: str) -> Path:
        return self.stem.with_name(f"{self.stem.name}.{part}")

    def read(self, part: str, dtype: type, start: int, stop: int) -> np.ndarray:
        return read_range(self.path(part), np.dtype(dtype), start, stop)

    def remove(self) -> None:
        for part in _PARTS:
            self.path(part).unlink(missing_ok=True)


def spill_column_matrix(runs: Sequence[Run], n_cols: int, maps: list[np.ndarray],
                        directory: Path, name: str = "counts") -> CountColumns:
    """`CountColumns.spill(column_matrix(runs, n_cols, maps), directory, name)`, the same
    files, made a band of columns at a time. Every map must keep all its run's columns
    (the text runs' maps do); `maps` is emptied, each map freed once written to disk."""
    if len(maps) != len(runs):
        raise ValueError(f"{len(runs)} runs, {len(maps)} maps")
    sizes = np.zeros(n_cols + 1, dtype=np.int64)
    column_runs: list[_ColumnRun] = []
    n_rows = 0
    for k, run in enumerate(runs):
        column_runs.append(_write_column_major(run, maps[0], directory / f"{name}-run{k:05d}",
                                               n_rows, sizes))
        del maps[0]
        n_rows += column_runs[-1].n_rows
    np.cumsum(sizes, out=sizes)
    nnz = int(sizes[-1])
    index_dtype = np.dtype(np.int32 if max(nnz, n_rows) <= np.iinfo(np.int32).max
                           else np.int64)
    data_path, indices_path = directory / f"{name}.data", directory / f"{name}.indices"
    spilled = CountColumns((n_rows, n_cols), sizes, data_path, indices_path,
                           (np.dtype(np.float32), index_dtype))
    bands = list(spilled.entry_blocks(max(1, BAND_BYTES // (4 + index_dtype.itemsize))))
    # where each band starts and ends among each run's columns
    edges = np.array([first for first, _ in bands] + [n_cols], dtype=np.int64)
    run_edges = [np.searchsorted(column_run.read("cols", np.int64, 0, column_run.n_cols),
                                 edges) for column_run in column_runs]
    with data_path.open("wb") as data_out, indices_path.open("wb") as indices_out:
        for b, (first, end) in enumerate(bands):
            data, indices = _band(column_runs, [(int(e[b]), int(e[b + 1])) for e in run_edges],
                                  sizes, first, end, index_dtype)
            data_out.write(data.data)
            indices_out.write(indices.data)
    for column_run in column_runs:
        column_run.remove()
    return spilled


def _write_column_major(run: Run, col_map: np.ndarray, stem: Path, row0: int,
                        sizes: np.ndarray) -> _ColumnRun:
    """Write `run` column-major beside `stem` and add its entries to `sizes[1:]` (each
    final column's number of entries)."""
    if len(col_map) and int(col_map.min()) < 0:
        raise ValueError("a banded count matrix keeps every column of its runs")
    matrix = run.matrix()
    n_rows = matrix.shape[0]
    columns = matrix.tocsc()            # rows sorted within each column
    del matrix
    sizes[1:][col_map] += np.diff(columns.indptr)
    written = _ColumnRun(stem, len(col_map), n_rows, row0)
    for part, values in zip(_PARTS, (columns.data.astype(np.int32, copy=False),
                                     columns.indices.astype(np.int32, copy=False),
                                     columns.indptr.astype(np.int64, copy=False),
                                     col_map.astype(np.int64, copy=False)), strict=True):
        values.tofile(written.path(part))
    return written


def _band(column_runs: Sequence[_ColumnRun], ranges: Sequence[tuple[int, int]],
          indptr: np.ndarray, first: int, end: int, index_dtype: np.dtype
          ) -> tuple[np.ndarray, np.ndarray]:
    """The data (float32) and row indices of final columns [first, end), gathered from
    every run in order; ranges[k]: the run's columns [lo, hi) that are in the band."""
    base = int(indptr[first])
    n_entries = int(indptr[end]) - base
    data = np.empty(n_entries, dtype=np.float32)
    indices = np.empty(n_entries, dtype=index_dtype)
    cursor = indptr[first:end] - base          # each column's next free place in the band
    for column_run, (lo, hi) in zip(column_runs, ranges, strict=True):
        if lo == hi:
            continue
        cols = column_run.read("cols", np.int64, lo, hi) - first
        run_indptr = column_run.read("indptr", np.int64, lo, hi + 1)
        a, b = int(run_indptr[0]), int(run_indptr[-1])
        per_col = np.diff(run_indptr)
        where = np.repeat(cursor[cols] - (run_indptr[:-1] - a), per_col)
        where += np.arange(b - a)
        data[where] = column_run.read("data", np.int32, a, b)
        rows = column_run.read("rows", np.int32, a, b).astype(index_dtype)
        rows += column_run.row0
        indices[where] = rows
        cursor[cols] += per_col
    return data, indices
