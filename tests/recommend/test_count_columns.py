"""The count matrix read from disk a block of columns at a time (recommend/count_columns.py)
and index parts written a block at a time (recommend/index_stream.py) give exactly what
the whole in-memory arrays give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from recommend import count_columns
from recommend.count_columns import CountColumns
from recommend.index import read_part, write_part
from recommend.index_stream import StreamedArray, StreamedSparse


def _counts(n_rows: int = 50, n_cols: int = 40) -> sparse.csc_matrix:
    matrix = sparse.random(n_rows, n_cols, density=0.15, format="csc", random_state=5,
                           dtype=np.float32)
    matrix.data = np.ceil(matrix.data * 9).astype(np.float32)
    matrix = sparse.csc_matrix(matrix.multiply(np.arange(n_cols) % 7 != 3))   # empty columns
    matrix.eliminate_zeros()
    matrix.indices = matrix.indices.astype(np.int32)
    matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix


@pytest.mark.parametrize("read_entries", [1, 3, 1 << 22])
def test_spilled_columns_read_as_the_matrix_slices(tmp_path, monkeypatch, read_entries
                                                   ) -> None:
    monkeypatch.setattr(count_columns, "READ_ENTRIES", read_entries)
    matrix = _counts()
    spilled = CountColumns.spill(matrix, tmp_path)
    assert spilled.on_disk and spilled.nnz == matrix.nnz and spilled.shape == matrix.shape
    for chosen in ([0], [3, 10], list(range(40)), [1, 2, 5, 17, 38, 39], []):
        columns = np.array(chosen, dtype=np.int64)
        expected = matrix[:, columns]
        for source in (spilled, CountColumns.of(matrix)):
            got = source.columns(columns)
            assert got.shape == expected.shape
            for attr in ("data", "indices", "indptr"):
                assert np.array_equal(getattr(got, attr), getattr(expected, attr)), attr
            rows = source.column_indices(columns)     # the row numbers alone
            assert rows.dtype == expected.indices.dtype
            assert np.array_equal(rows, expected.indices)
    blocks = list(spilled.entry_blocks(5))
    assert blocks[0][0] == 0 and blocks[-1][1] == 40
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))
    for first, end in blocks:
        assert (spilled.column_range(first, end) != matrix[:, first:end]).nnz == 0
    spilled.remove()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint16, np.int64])
@pytest.mark.parametrize("length", [0, 1, 1000])
def test_a_streamed_part_is_the_file_np_save_writes(tmp_path, dtype, length) -> None:
    values = (np.arange(length) * 7 % 251).astype(dtype)
    streamed = StreamedArray(np.dtype(dtype), length,
                             lambda: (values[a:a + 13] for a in range(0, length, 13)))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert write_part(tmp_path / "a", "part", values) == "array"
    assert write_part(tmp_path / "b", "part", streamed) == "array"
    assert (tmp_path / "a/part.npy").read_bytes() == (tmp_path / "b/part.npy").read_bytes()
    assert np.array_equal(streamed.whole(), values)


@pytest.mark.parametrize("streamed_indptr", [False, True])
def test_a_streamed_matrix_is_saved_as_the_whole_matrix(tmp_path: Path, streamed_indptr
                                                        ) -> None:
    matrix = _counts()

    def blocks(array: np.ndarray) -> StreamedArray:
        return StreamedArray(array.dtype, len(array),
                             lambda: (array[a:a + 9] for a in range(0, len(array), 9)))

    streamed = StreamedSparse("csc", matrix.shape, blocks(matrix.data), blocks(matrix.indices),
                              blocks(matrix.indptr) if streamed_indptr else matrix.indptr)
    assert (streamed.whole() != matrix).nnz == 0
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert write_part(tmp_path / "a", "m", matrix) == write_part(tmp_path / "b", "m",
                                                                 streamed) == "csc"
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    assert (read_part(tmp_path / "b", "m", "csc") != matrix).nnz == 0


def test_a_stream_shorter_than_announced_fails(tmp_path: Path) -> None:
    streamed = StreamedArray(np.dtype(np.int32), 5, lambda: [np.arange(3, dtype=np.int32)])
    with pytest.raises(ValueError, match="3 values streamed, 5 announced"):
        write_part(tmp_path, "part", streamed)
