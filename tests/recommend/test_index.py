"""Index versions: save/load with mmap, atomic swap of `current`, pruning, extra parts."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from domain.index_files import current_version, index_info, prune, set_current, versions
from recommend.index import build_index, load_index
from recommend.similar import similar
from tests.recommend.corpus import TEXTS, docs

PARAMS = {"min_df": 1, "max_df": 1.0}


def is_mapped(array: np.ndarray) -> bool:
    """Whether an array's memory comes from a memory-mapped file."""
    base = array
    while base is not None:
        if isinstance(base, mmap.mmap):
            return True
        base = getattr(base, "base", None)
    return False


def build(root: Path, texts=TEXTS, fingerprint="fp", **kw):
    return build_index(root, docs(texts), fingerprint=fingerprint, **PARAMS, **kw)


def test_nothing_built_yet(tmp_path):
    assert current_version(tmp_path) is None
    assert load_index(tmp_path) is None
    assert index_info(tmp_path) is None
    assert current_version(tmp_path / "missing") is None


def test_roundtrip_keeps_papers_terms_and_weights(tmp_path):
    info = build(tmp_path)
    index = load_index(tmp_path)
    assert index is not None and index.version == info.version == current_version(tmp_path)
    assert index.matrix.shape == (len(TEXTS), info.n_terms) == (info.n_docs, len(index.vocabulary))
    assert list(index.ids) == [d.id for d in docs()]
    assert index.row("p3") == 3 and index.row("nope") is None
    assert "neural network" in index.column_of
    assert index.published.dtype == np.dtype("datetime64[D]")
    assert str(index.published[1]) == "2024-02-02"
    assert index.primary_category[2] == "cs.CL"
    assert index.paper_categories(0) == ("cs.LG", "stat.ML")
    assert index.matrix.dtype == np.float32
    np.testing.assert_allclose(
        np.asarray(index.matrix.multiply(index.matrix).sum(axis=1)).ravel(), 1.0, atol=1e-5)
    assert index.idf.shape == index.df.shape == (info.n_terms,)


def test_arrays_are_memory_mapped_read_only(tmp_path):
    build(tmp_path)
    index = load_index(tmp_path)
    for array in (index.matrix.data, index.matrix.indices, index.matrix.indptr, index.ids,
                  index.idf, index.published):
        assert is_mapped(array)
        assert not array.flags.writeable


def test_meta_records_how_it_was_built(tmp_path):
    info = build(tmp_path, fingerprint="papers=12;latest=2024-12-12", max_features=50, seed=3)
    assert info.fingerprint == "papers=12;latest=2024-12-12"
    assert info.meta["settings"]["max_features"] == 50 and info.meta["settings"]["seed"] == 3
    assert info.meta["n_fulltext"] == 3  # docs 0, 4 and 8
    assert info.meta["build_seconds"] >= 0 and info.meta["version"] == info.version
    assert info.n_terms == 50
    on_disk = sum(p.stat().st_size for p in info.path.iterdir())
    assert info.size_bytes == on_disk > 0


def test_new_version_swaps_in_while_old_readers_keep_working(tmp_path):
    first = build(tmp_path)
    old = load_index(tmp_path)
    before = similar(old.matrix, 0, k=3)
    second = build(tmp_path, TEXTS[::-1])
    third = build(tmp_path, TEXTS[:6])
    assert current_version(tmp_path) == third.version
    assert versions(tmp_path) == [second.version, third.version]  # first pruned
    assert not (tmp_path / first.version).exists()
    # the reader still holding the first version is unaffected
    assert similar(old.matrix, 0, k=3) == before
    assert old.ids[0] == "p0" and len(old) == len(TEXTS)
    assert len(load_index(tmp_path)) == 6


def test_current_is_a_symlink_replaced_atomically(tmp_path):
    info = build(tmp_path)
    link = tmp_path / "current"
    assert link.is_symlink() and os.readlink(link) == info.version
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_versions_are_ordered_and_named(tmp_path):
    a, b = build(tmp_path), build(tmp_path)
    assert a.version.startswith("v") and a.version.endswith("-1")
    assert b.version.endswith("-2")
    assert versions(tmp_path) == [a.version, b.version]


def test_pruning_never_removes_the_current_version(tmp_path):
    a, b = build(tmp_path), build(tmp_path)
    set_current(tmp_path, a.version)  # rolled back to the older one
    removed = prune(tmp_path, keep=1)
    assert removed == []
    assert current_version(tmp_path) == a.version
    assert load_index(tmp_path).version == a.version
    c = build(tmp_path, keep=1)
    assert versions(tmp_path) == [c.version]
    assert b.version not in versions(tmp_path)


def test_set_current_refuses_unknown_versions(tmp_path):
    build(tmp_path)
    with pytest.raises(FileNotFoundError):
        set_current(tmp_path, "v20240101000000-99")


def test_extra_builders_store_their_parts_in_the_same_version(tmp_path):
    def months(index, docs):
        assert len(docs) == len(index) == index.matrix.shape[0]
        return {"month": index.published.astype("datetime64[M]").astype(np.int32),
                "term_index": sparse.csc_matrix(index.matrix)}

    build(tmp_path, extra=[months])
    index = load_index(tmp_path)
    assert index.parts["month"].tolist()[:2] == [648, 649]  # 2024-01, 2024-02
    assert index.parts["term_index"].format == "csc"
    assert (index.parts["term_index"] != index.matrix).nnz == 0
    assert is_mapped(index.parts["term_index"].data)


def test_a_failed_build_leaves_the_current_version_alone(tmp_path):
    good = build(tmp_path)

    def broken(index, docs):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        build(tmp_path, extra=[broken])
    assert current_version(tmp_path) == good.version
    assert versions(tmp_path) == [good.version]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_extra_parts_cannot_overwrite_the_core(tmp_path):
    with pytest.raises(ValueError, match="ids"):
        build(tmp_path, extra=[lambda index, docs: {"ids": np.zeros(3)}])
    with pytest.raises(ValueError):
        build(tmp_path, extra=[lambda index, docs: {"../x": np.zeros(3)}])
    assert current_version(tmp_path) is None


def test_empty_corpus_builds_an_empty_index(tmp_path):
    info = build_index(tmp_path, [], fingerprint="empty")
    index = load_index(tmp_path)
    assert info.n_docs == 0 and len(index) == 0 and index.matrix.shape[0] == 0
