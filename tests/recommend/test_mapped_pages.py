"""Dropping the mapped pages of loaded index parts (recommend/mapped_pages.py): RSS falls,
every part reads back the same, and a pruned version still reads."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from recommend import mapped_pages
from recommend.index import Doc, Index, build_index, load_index
from recommend.index_update import update_index
from recommend.index_vectors import load_vectors, write_vectors
from recommend.mapped_pages import drop_mapped_pages, resident_mb, tracked_count
from tests.recommend.test_index_update import sample_docs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="RSS and madvise(MADV_DONTNEED) as Linux has them")

BIG_MB = 96          # the size of the large part: well above the test process's RSS noise


def _big_part(index: Index, docs) -> dict[str, np.ndarray]:
    values = np.random.default_rng(0).integers(0, 2**63, BIG_MB * 2**17, dtype=np.int64)
    return {"big_values": values}


def mapped_rss_mb(directory: Path) -> float:
    """RSS of this process's mappings of files in `directory` (/proc/self/smaps)."""
    total_kb, inside = 0, False
    prefix = str(directory.resolve())
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(maxsplit=5)
        if head and "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            inside = len(head) == 6 and head[5].startswith(prefix)
        elif inside and line.startswith("Rss:"):
            total_kb += int(head[1])
    return total_kb / 1024


def every_part(index: Index) -> dict[str, np.ndarray]:
    arrays = {name: getattr(index, name) for name in
              ("ids", "published", "primary_category", "categories", "vocabulary", "idf", "df")}
    arrays.update({f"matrix.{a}": getattr(index.matrix, a) for a in ("data", "indices", "indptr")})
    for name, part in index.parts.items():
        if hasattr(part, "indptr"):
            arrays.update({f"{name}.{a}": getattr(part, a) for a in ("data", "indices", "indptr")})
        else:
            arrays[name] = part
    return arrays


def read_all(index: Index) -> dict[str, np.ndarray]:
    """A copy of every part, read through the mappings (which touches every page)."""
    return {name: np.array(value) for name, value in every_part(index).items()}


@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    return sample_docs(120)


@pytest.fixture
def index(tmp_path: Path, docs) -> Index:
    build_index(tmp_path, docs, fingerprint="fp", extra=[_big_part], sample_docs=100)
    loaded = load_index(tmp_path)
    assert loaded is not None
    return loaded


def test_dropping_the_pages_lowers_rss_and_every_part_reads_the_same(index: Index) -> None:
    before = resident_mb()
    first = read_all(index)
    del first["big_values"]                 # keep no private copy of the large part
    read = resident_mb()
    assert mapped_rss_mb(index.path) >= 0.9 * BIG_MB
    assert read - before >= 0.9 * BIG_MB    # RSS shows the pages read

    assert index.drop_mapped_pages() >= len(every_part(index))
    dropped = resident_mb()
    assert read - dropped >= 0.8 * (read - before)
    assert mapped_rss_mb(index.path) < 0.05 * BIG_MB

    again = read_all(index)
    for name, value in first.items():
        np.testing.assert_array_equal(again[name], value, err_msg=name)
    on_disk = np.load(index.path / "big_values.npy")
    np.testing.assert_array_equal(again["big_values"], on_disk)


def test_a_removed_version_still_reads_after_the_drop(index: Index) -> None:
    first = read_all(index)
    shutil.rmtree(index.path)
    assert drop_mapped_pages() >= len(every_part(index))
    assert mapped_rss_mb(index.path) < 0.05 * BIG_MB
    again = read_all(index)
    for name, value in first.items():
        np.testing.assert_array_equal(again[name], value, err_msg=name)


def test_only_the_named_versions_pages_are_dropped(tmp_path: Path, docs) -> None:
    one = tmp_path / "one"
    build_index(one, docs, fingerprint="a", extra=[_big_part], sample_docs=100)
    two = tmp_path / "two"
    build_index(two, docs[:60], fingerprint="b", extra=[_big_part], sample_docs=50)
    a, b = load_index(one), load_index(two)
    assert a is not None and b is not None
    read_all(a), read_all(b)
    a.drop_mapped_pages()
    assert mapped_rss_mb(a.path) < 0.05 * BIG_MB
    assert mapped_rss_mb(b.path) >= 0.9 * BIG_MB


def test_vectors_are_tracked_with_their_version(index: Index) -> None:
    n_before = tracked_count(index.path)
    write_vectors(index.path, "test-model", np.ones((len(index), 8), dtype=np.float32))
    vectors = load_vectors(index.path, len(index))
    assert vectors is not None
    assert tracked_count(index.path) == n_before + 2     # float16 matrix and float32 copy
    index.drop_mapped_pages()
    np.testing.assert_array_equal(np.asarray(vectors.dense), np.ones((len(index), 8)))


def test_a_mapping_no_array_holds_leaves_the_registry(tmp_path: Path, docs) -> None:
    build_index(tmp_path, docs, fingerprint="fp", sample_docs=100)
    loaded = load_index(tmp_path)
    assert loaded is not None
    path = loaded.path
    assert tracked_count(path) > 0
    del loaded
    import gc

    gc.collect()
    assert tracked_count(path) == 0


def test_without_madvise_dropping_does_nothing(index: Index, monkeypatch) -> None:
    monkeypatch.setattr(mapped_pages, "_DONTNEED", None)
    read_all(index)
    assert index.drop_mapped_pages() == 0
    assert mapped_rss_mb(index.path) >= 0.9 * BIG_MB


def test_an_update_leaves_no_base_pages_resident_and_writes_the_same_bytes(
        tmp_path: Path, docs, monkeypatch) -> None:
    def updated(root: Path) -> tuple[Index, Path]:
        build_index(root, docs[:100], fingerprint="base", extra=[_big_part], sample_docs=100)
        base = load_index(root)
        assert base is not None
        info = update_index(root, base, np.ones(len(base), dtype=bool), docs[100:],
                            fingerprint="new", updaters=[_carry_big_part], keep_versions=5)
        return base, root / info.version

    base, dropping = updated(tmp_path / "dropping")
    assert mapped_rss_mb(base.path) < 0.05 * BIG_MB     # the updater read every page of it
    monkeypatch.setattr(mapped_pages, "_DONTNEED", None)
    kept_base, keeping = updated(tmp_path / "keeping")
    assert mapped_rss_mb(kept_base.path) >= 0.9 * BIG_MB
    files = sorted(p.name for p in dropping.glob("*.npy"))
    assert files == sorted(p.name for p in keeping.glob("*.npy")) and "big_values.npy" in files
    for name in files:
        assert (dropping / name).read_bytes() == (keeping / name).read_bytes(), name


def _carry_big_part(base: Index, keep, new_docs, new_index: Index) -> dict[str, np.ndarray]:
    return {"big_values": np.array(base.parts["big_values"])}
