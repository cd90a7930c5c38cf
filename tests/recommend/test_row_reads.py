"""Rows of a CSR matrix read with file reads (recommend/row_reads.py): the same matrix as
`matrix[rows]`, mapped or in memory, and no mapped pages left in the process's RSS."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from recommend import row_reads
from recommend.index import read_part, write_part
from recommend.mapped_pages import drop_mapped_pages
from recommend.row_reads import read_rows
from recommend.similar import nearest_among
from tests.recommend.test_mapped_pages import mapped_rss_mb

N_ROWS, N_COLS = 3000, 5000


def _matrix(n_rows: int, n_cols: int, per_row: int, seed: int = 0) -> sparse.csr_matrix:
    """A random CSR matrix whose every tenth row is empty, float32 values."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 2 * per_row, n_rows)
    counts[::10] = 0
    indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    indices = rng.integers(0, n_cols, indptr[-1], dtype=np.int32)   # unsorted is still CSR
    data = rng.random(indptr[-1], dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))


@pytest.fixture(scope="module")
def in_memory() -> sparse.csr_matrix:
    return _matrix(N_ROWS, N_COLS, per_row=40)


@pytest.fixture(scope="module")
def mapped(in_memory, tmp_path_factory) -> sparse.csr_matrix:
    directory = tmp_path_factory.mktemp("rows")
    write_part(directory, "matrix", in_memory)
    loaded = read_part(directory, "matrix", "csr")
    for part in (loaded.data, loaded.indices):      # views of the memmaps np.load returned
        assert row_reads._file_place(part) is not None
    return loaded


ROW_SETS = {
    "empty rows": [0, 10, 20, 2990],
    "first row": [0],
    "second row": [1],
    "last row": [N_ROWS - 1],
    "first and last": [0, N_ROWS - 1],
    "all rows": list(range(N_ROWS)),
    "adjacent": list(range(500, 540)),
    "far apart": [3, 1200, 2999],
    "random": sorted(np.random.default_rng(1).choice(N_ROWS, 700, replace=False).tolist()),
    "none": [],
}


def assert_same_csr(got: sparse.csr_matrix, want: sparse.csr_matrix) -> None:
    assert isinstance(got, sparse.csr_matrix) and got.shape == want.shape
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    assert got.data.dtype == want.data.dtype
    np.testing.assert_array_equal(got.data, want.data)       # the same floats, bit for bit


@pytest.mark.parametrize("name", ROW_SETS)
@pytest.mark.parametrize("kind", ["mapped", "in_memory"])
def test_the_rows_equal_indexing(name: str, kind: str, request) -> None:
    matrix = request.getfixturevalue(kind)
    rows = np.array(ROW_SETS[name], dtype=np.int64)
    assert_same_csr(read_rows(matrix, rows), matrix[rows])


def test_a_mapped_matrix_is_read_from_the_file_not_indexed(mapped, monkeypatch) -> None:
    reads: list[int] = []
    real = os.preadv

    def counted(fd, buffers, position):
        reads.append(position)
        return real(fd, buffers, position)

    monkeypatch.setattr(os, "preadv", counted)
    rows = np.array([5, 6, 7, 2501])
    assert_same_csr(read_rows(mapped, rows), mapped[rows])
    assert len(reads) == 4      # rows 5-7 touch in the file: one read per array, and row 2501


def test_a_failing_read_falls_back_to_indexing(mapped, monkeypatch) -> None:
    def fail(fd, buffers, position):
        raise OSError("gone")

    monkeypatch.setattr(os, "preadv", fail)
    rows = np.array([1, 2, 900])
    assert_same_csr(read_rows(mapped, rows), mapped[rows])


def test_a_short_read_is_finished_and_the_end_of_file_falls_back(mapped, monkeypatch) -> None:
    real = os.preadv

    def short(fd, buffers, position):      # at most 3 bytes a call, as a read may return
        return real(fd, [buffers[0][:3]], position)

    monkeypatch.setattr(os, "preadv", short)
    rows = np.array([1, 2, 900])
    assert_same_csr(read_rows(mapped, rows), mapped[rows])
    monkeypatch.setattr(os, "preadv", lambda fd, buffers, position: 0)
    assert_same_csr(read_rows(mapped, rows), mapped[rows])


def test_a_non_contiguous_view_falls_back(in_memory) -> None:
    strided = sparse.csr_matrix((np.repeat(in_memory.data, 2)[::2], in_memory.indices,
                                 in_memory.indptr), shape=in_memory.shape, copy=False)
    assert not strided.data.flags.c_contiguous
    rows = np.array([1, 2, 900])
    assert_same_csr(read_rows(strided, rows), in_memory[rows])


def test_nearest_among_scores_the_same_mapped_and_in_memory(mapped, in_memory) -> None:
    candidates = np.arange(0, N_ROWS, 3, dtype=np.int64)
    for row in (1, 301, N_ROWS - 2):
        assert nearest_among(mapped, row, candidates, 10) == \
            nearest_among(in_memory, row, candidates, 10)


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="RssFile in /proc/self/status and madvise as Linux has them")
def test_reading_scattered_rows_keeps_rss_file_flat(tmp_path: Path) -> None:
    big = _matrix(100_000, 200_000, per_row=280, seed=2)      # ~200 MB of data + indices
    write_part(tmp_path, "matrix", big)
    mb = sum(p.stat().st_size for p in tmp_path.glob("matrix.*.npy")) / 2**20
    assert mb > 150
    del big
    loaded = read_part(tmp_path, "matrix", "csr")
    rows = np.unique(np.random.default_rng(3).choice(100_000, 5000, replace=False))
    drop_mapped_pages(tmp_path)
    before = rss_file_mb()
    got = read_rows(loaded, rows)
    grown = rss_file_mb() - before
    assert got.nnz > 0 and mapped_rss_mb(tmp_path) < 10
    assert grown < 10, f"RssFile grew {grown:.1f} MB reading rows of a {mb:.0f} MB matrix"
    assert_same_csr(got, loaded[rows])
    assert mapped_rss_mb(tmp_path) > 50     # indexing through the mapping maps far more


def rss_file_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssFile in /proc/self/status")


def test_a_deleted_version_still_reads_through_its_mapping(in_memory, tmp_path: Path) -> None:
    write_part(tmp_path, "matrix", in_memory)
    loaded = read_part(tmp_path, "matrix", "csr")
    for part in tmp_path.glob("matrix.*.npy"):
        part.unlink()                      # a pruned version: its files gone, mappings alive
    rows = np.array([1, 2, 900, N_ROWS - 1])
    assert_same_csr(read_rows(loaded, rows), in_memory[rows])
