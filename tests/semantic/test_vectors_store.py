"""Vectors saved into an index version: float16, memory-mapped, aligned, all or nothing."""

from pathlib import Path

import numpy as np

from recommend.index_vectors import (
    DENSE_VECTORS,
    VECTORS,
    VECTORS_META,
    load_vectors,
    read_vectors_meta,
    write_vectors,
)


def test_round_trip_is_float16_memory_mapped_and_counts_coverage(tmp_path):
    matrix = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    matrix[3] = 0                                     # a paper without text
    write_vectors(tmp_path, "m-8", matrix, seconds=1.5)
    loaded = load_vectors(tmp_path, 5)
    assert loaded is not None
    assert isinstance(loaded.matrix, np.memmap) and loaded.matrix.dtype == np.float16
    assert not loaded.matrix.flags.writeable
    np.testing.assert_allclose(loaded.matrix, matrix, atol=2e-3)
    assert (loaded.model, loaded.covered, loaded.dim, len(loaded)) == ("m-8", 4, 8, 5)
    assert read_vectors_meta(tmp_path)["seconds"] == 1.5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([VECTORS, DENSE_VECTORS,
                                                                 VECTORS_META])  # no temp files


def test_scoring_vectors_are_a_shared_read_only_map_not_a_private_copy(tmp_path):
    """Every serving process maps the same float32 file, so N workers hold one copy."""
    matrix = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    write_vectors(tmp_path, "m-4", matrix)
    first, second = load_vectors(tmp_path, 6), load_vectors(tmp_path, 6)
    for loaded in (first, second):
        assert isinstance(loaded.dense, np.memmap) and loaded.dense.dtype == np.float32
        assert not loaded.dense.flags.writeable
        assert Path(loaded.dense.filename) == (tmp_path / DENSE_VECTORS).resolve()
    np.testing.assert_array_equal(first.dense, np.asarray(first.matrix, np.float32))


def test_a_version_written_without_the_float32_copy_gets_one_on_load(tmp_path):
    matrix = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    write_vectors(tmp_path, "m-4", matrix)
    (tmp_path / DENSE_VECTORS).unlink()             # a version from before the copy existed
    loaded = load_vectors(tmp_path, 3)
    assert isinstance(loaded.dense, np.memmap)
    np.testing.assert_array_equal(loaded.dense, np.asarray(loaded.matrix, np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([VECTORS, DENSE_VECTORS,
                                                                 VECTORS_META])


def test_rewritten_vectors_replace_the_float32_copy(tmp_path):
    write_vectors(tmp_path, "m", np.ones((2, 3), np.float32))
    write_vectors(tmp_path, "m", np.full((2, 3), 2.0, np.float32))
    np.testing.assert_array_equal(load_vectors(tmp_path, 2).dense, np.full((2, 3), 2.0))


def test_missing_or_misaligned_vectors_are_none(tmp_path):
    assert load_vectors(tmp_path, 3) is None
    write_vectors(tmp_path, "m", np.ones((3, 4), np.float32))
    assert load_vectors(tmp_path, 4) is None          # rows must align with the index's papers
    (tmp_path / VECTORS_META).write_text("{ half a file")
    assert load_vectors(tmp_path, 3) is None and read_vectors_meta(tmp_path) is None
