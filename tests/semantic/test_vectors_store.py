"""Vectors saved into an index version: float16, memory-mapped, aligned, all or nothing."""

import numpy as np

from recommend.index_vectors import VECTORS, VECTORS_META, load_vectors, read_vectors_meta, write_vectors


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
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([VECTORS, VECTORS_META])  # no temp files


def test_missing_or_misaligned_vectors_are_none(tmp_path):
    assert load_vectors(tmp_path, 3) is None
    write_vectors(tmp_path, "m", np.ones((3, 4), np.float32))
    assert load_vectors(tmp_path, 4) is None          # rows must align with the index's papers
    (tmp_path / VECTORS_META).write_text("{ half a file")
    assert load_vectors(tmp_path, 3) is None and read_vectors_meta(tmp_path) is None
