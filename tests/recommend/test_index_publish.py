"""Publishing an index version into another index folder: atomic, idempotent, vectors
included, old versions pruned after their grace period, bad folders refused clearly."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from domain.index_files import current_version, prune, set_current, versions
from recommend.index import build_index, load_index, version_files
from recommend.index_publish import PublishError, publish_version
from recommend.index_vectors import VECTORS_META, load_vectors, write_vectors
from tests.recommend.corpus import TEXTS, docs

PARAMS = {"min_df": 1, "max_df": 1.0}


def build(root: Path, texts=TEXTS, **kw):
    return build_index(root, docs(texts), fingerprint="fp", **PARAMS, **kw)


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    """(builder's index folder with one version, a web machine's empty index folder)."""
    builder, web = tmp_path / "a" / "index", tmp_path / "b" / "index"
    web.parent.mkdir()
    build(builder)
    return builder, web


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under root with its size and mtime: what a no-op must leave alone."""
    return {str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


def test_publish_copies_the_current_version_and_makes_it_current(roots):
    builder, web = roots
    result = publish_version(builder, web)
    version = current_version(builder)
    assert result.version == version == current_version(web)
    assert result.copied and result.switched and result.vectors == "none"
    assert result.n_docs == len(TEXTS) and result.bytes_copied > 0
    names = sorted(p.name for p in (builder / version).iterdir())
    assert sorted(p.name for p in (web / version).iterdir()) == names
    assert (web / "current").is_symlink() and os.readlink(web / "current") == version
    copy, original = load_index(web), load_index(builder)
    assert list(copy.ids) == list(original.ids)
    assert (copy.matrix != original.matrix).nnz == 0
    assert not [p for p in web.iterdir() if p.name.startswith(".tmp")]
    assert f"Published {version}" in result.summary() and "current there now" in result.summary()


def test_publishing_the_same_version_twice_changes_nothing(roots):
    builder, web = roots
    publish_version(builder, web)
    before = tree(web)
    again = publish_version(builder, web)
    assert not again.changed and not again.copied and not again.switched
    assert tree(web) == before
    assert "already current" in again.summary() and "nothing to do" in again.summary()


def test_a_new_build_replaces_the_published_one_and_old_versions_are_pruned(roots):
    builder, web = roots
    first = publish_version(builder, web).version
    second = build(builder, TEXTS[::-1]).version
    publish_version(builder, web)
    third = build(builder, TEXTS[:6]).version
    result = publish_version(builder, web)
    assert current_version(web) == third
    assert versions(web) == [second, third] and result.removed == (first,)
    assert len(load_index(web)) == 6
    assert f"Removed 1 old version(s) there: {first}" in result.summary()


def test_vectors_written_after_the_version_follow_it(roots):
    builder, web = roots
    publish_version(builder, web)
    version = current_version(builder)
    vectors = np.arange(len(TEXTS) * 4, dtype=np.float32).reshape(len(TEXTS), 4) + 1
    write_vectors(builder / version, "test-model", vectors)
    result = publish_version(builder, web)
    assert result.vectors == "copied" and not result.copied and not result.switched
    assert "Copied the vectors (model test-model)" in result.summary()
    copied = load_vectors(web / version, len(TEXTS))
    assert copied is not None and copied.model == "test-model" and copied.covered == len(TEXTS)
    np.testing.assert_array_equal(copied.matrix, vectors.astype(np.float16))
    assert publish_version(builder, web).vectors == "current"
    write_vectors(builder / version, "other-model", vectors * 2)     # re-encoded by another model
    assert publish_version(builder, web).vectors == "copied"
    assert load_vectors(web / version, len(TEXTS)).model == "other-model"


def test_a_first_publish_brings_the_vectors_with_the_version(roots):
    builder, web = roots
    version = current_version(builder)
    write_vectors(builder / version, "test-model", np.ones((len(TEXTS), 3)))
    result = publish_version(builder, web)
    assert result.copied and result.vectors == "copied"
    assert "with the vectors of model test-model" in result.summary()
    assert (web / version / VECTORS_META).is_file()


def test_a_copy_that_fails_half_way_is_never_current(roots):
    builder, web = roots
    old = publish_version(builder, web).version
    new = build(builder, TEXTS[:6]).version
    copied: list[str] = []

    def fail_after_three(name: str) -> None:
        copied.append(name)
        if len(copied) == 3:
            raise OSError(28, "No space left on device")

    with pytest.raises(PublishError, match="No space left on device"):
        publish_version(builder, web, on_file=fail_after_three)
    assert current_version(web) == old and versions(web) == [old]
    assert len(load_index(web)) == len(TEXTS)
    assert not [p for p in web.iterdir() if p.name.startswith(".tmp")]
    assert publish_version(builder, web).version == new == current_version(web)


def test_the_builder_rolled_back_is_mirrored(roots):
    builder, web = roots
    first = current_version(builder)
    publish_version(builder, web)
    build(builder, TEXTS[:6])
    publish_version(builder, web)
    set_current(builder, first)
    result = publish_version(builder, web)
    assert result.switched and not result.copied and current_version(web) == first
    assert "was already in" in result.summary()


def test_a_named_version_is_published(roots):
    builder, web = roots
    first = current_version(builder)
    build(builder, TEXTS[:6])
    assert publish_version(builder, web, version=first).version == first == current_version(web)
    with pytest.raises(PublishError, match="no index version 'v20200101000000-9'"):
        publish_version(builder, web, version="v20200101000000-9")


def test_a_mirror_still_being_filled_is_refused(roots):
    builder, web = roots
    version = current_version(builder)
    (builder / version / "idf.npy").unlink()
    with pytest.raises(PublishError, match=r"incomplete \(missing idf.npy\)"):
        publish_version(builder, web)
    assert not web.exists()


def test_version_files_lists_every_part_written():
    builder_meta = {"parts": {"months": "array", "postings": "csc"}}
    names = version_files(builder_meta)
    assert names[-1] == "meta.json"
    assert {"matrix.data.npy", "matrix.shape.npy", "ids.npy", "months.npy",
            "postings.indptr.npy"} <= set(names)


def test_the_written_version_matches_version_files(roots):
    builder, _web = roots
    index = load_index(builder)
    on_disk = {p.name for p in index.path.iterdir()}
    assert set(version_files(index.meta)) == on_disk


@pytest.mark.parametrize("case", ["file", "no-parent", "same", "data-dir", "other-files"])
def test_a_bad_destination_is_a_clear_error(roots, case):
    builder, web = roots
    dest, message = {
        "file": (web.parent / "notes.txt", "is a file, not an index folder"),
        "no-parent": (web.parent / "missing" / "index", "does not exist: create it"),
        "same": (builder, "is the index folder published from"),
        "data-dir": (builder.parent, f"it looks like a data folder: give its index folder, {builder}"),
        "other-files": (web.parent, "holds files that are not index versions (notes.txt)"),
    }[case]
    (web.parent / "notes.txt").write_text("not an index")
    with pytest.raises(PublishError, match=message.replace("(", r"\(").replace(")", r"\)")):
        publish_version(builder, dest)


def test_an_unwritable_destination_is_a_clear_error(roots, monkeypatch):
    builder, web = roots
    web.mkdir()
    # the check itself: this suite may run as root, whom file modes do not stop
    monkeypatch.setattr("recommend.index_publish.os.access", lambda path, mode: False)
    with pytest.raises(PublishError, match=f"cannot write to {web}: permission denied"):
        publish_version(builder, web)
    with pytest.raises(PublishError, match=f"cannot create {web / 'sub'}"):
        publish_version(builder, web / "sub")


def test_no_index_to_publish_says_to_build_one(tmp_path):
    (tmp_path / "index").mkdir()
    with pytest.raises(PublishError, match="build one first"):
        publish_version(tmp_path / "index", tmp_path / "web")
    with pytest.raises(PublishError, match="no such folder"):
        publish_version(tmp_path / "nothing", tmp_path / "web")


def test_a_version_another_one_replaced_recently_outlives_the_grace_period(tmp_path):
    a, b, c = (build(tmp_path, keep=5) for _ in range(3))
    assert versions(tmp_path) == [a.version, b.version, c.version]   # nothing pruned yet
    assert prune(tmp_path, keep=2, grace_seconds=600) == []          # b arrived just now
    old = time.time() - 3600
    os.utime(tmp_path / b.version, (old, old))                       # b arrived an hour ago
    assert prune(tmp_path, keep=2, grace_seconds=600) == [a.version]
    assert versions(tmp_path) == [b.version, c.version]
