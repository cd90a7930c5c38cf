"""The text count matrix written a band of columns at a time (recommend/count_bands.py)
gives the files that spilling the whole matrix of `search_runs.column_matrix` gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from recommend import count_bands
from recommend.count_bands import spill_column_matrix
from recommend.count_columns import CountColumns
from recommend.search_runs import Postings, Run, column_matrix
from recommend.search_terms import TermTable

N_COLS = 300


def _runs(tmp_path: Path, *, spilled: bool, seed: int = 4) -> tuple[list[Run], list]:
    """Runs over shared final columns, some rows and columns empty, counts up to 9."""
    rng = np.random.default_rng(seed)
    runs, maps = [], []
    for k, n_rows in enumerate((17, 1, 40, 0, 23)):
        cols = np.flatnonzero(rng.random(N_COLS) < 0.4)
        matrix = sparse.random(n_rows, len(cols), density=0.2, format="csr",
                               random_state=rng, dtype=np.float32)
        matrix.data = np.ceil(matrix.data * 9)
        matrix = sparse.csr_matrix(matrix, dtype=np.int32)
        terms = TermTable.unhashed([f"t{c:04d}" for c in cols])
        path = tmp_path / f"run{k}.text.pkl" if spilled else None
        runs.append(Run(Postings(terms, matrix), path))
        maps.append(cols.astype(np.int64))
    return runs, maps


def _files(columns: CountColumns) -> tuple[bytes, bytes]:
    return columns._data.read_bytes(), columns._indices.read_bytes()


@pytest.mark.parametrize("band_bytes", [1, 8 * 7, 8 * 300, 256 << 20])
@pytest.mark.parametrize("spilled", [False, True])
def test_bands_write_the_files_of_the_whole_matrix(tmp_path, monkeypatch, band_bytes,
                                                   spilled) -> None:
    """From one column a band to the whole matrix in one band, runs in memory or on disk."""
    monkeypatch.setattr(count_bands, "BAND_BYTES", band_bytes)
    runs, maps = _runs(tmp_path, spilled=spilled)
    (tmp_path / "whole").mkdir()
    (tmp_path / "bands").mkdir()
    matrix = column_matrix(runs, N_COLS, maps)
    whole = CountColumns.spill(matrix, tmp_path / "whole")
    banded = spill_column_matrix(runs, N_COLS, list(maps), tmp_path / "bands")
    assert banded.on_disk and banded.shape == whole.shape == (81, N_COLS)
    assert _files(banded) == _files(whole)
    assert banded.indptr.dtype == whole.indptr.dtype == np.int64
    assert np.array_equal(banded.indptr, whole.indptr)
    assert (banded.data_dtype, banded.index_dtype) == (whole.data_dtype, whole.index_dtype)
    assert (banded.column_range(0, N_COLS) != matrix).nnz == 0
    # the runs written column-major are gone: only the matrix's two files are left
    assert sorted(p.name for p in (tmp_path / "bands").iterdir()) == ["counts.data",
                                                                      "counts.indices"]


def test_the_maps_are_let_go_as_the_runs_are_written(tmp_path) -> None:
    runs, maps = _runs(tmp_path, spilled=True)
    spill_column_matrix(runs, N_COLS, maps, tmp_path)
    assert maps == []


def test_a_map_that_drops_columns_is_refused(tmp_path) -> None:
    runs, maps = _runs(tmp_path, spilled=False)
    maps[1] = np.full(len(maps[1]), -1, dtype=np.int64)
    with pytest.raises(ValueError, match="keeps every column"):
        spill_column_matrix(runs, N_COLS, maps, tmp_path)
