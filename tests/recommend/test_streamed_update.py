"""Updaters that hand over their parts one at a time (recommend/index_update.py): each
part is in the new version's directory before the next is made, and an update that fails
part-way leaves no version behind and the old one current."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from domain.index_files import TMP_PREFIX, current_version
from recommend.index import Index, build_index, load_index
from recommend.index_update import update_index
from tests.recommend.test_index_update import sample_docs

N_BASE = 60


@pytest.fixture
def base(tmp_path: Path) -> Index:
    build_index(tmp_path, sample_docs(N_BASE), fingerprint="base", min_df=2, sample_docs=50)
    index = load_index(tmp_path)
    assert index is not None
    return index


def _versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink())


def test_each_part_is_written_before_the_next_is_made(tmp_path: Path, base: Index) -> None:
    seen = []

    def updater(base_index, keep, new_docs, new_index):
        yield "probe_first", np.arange(len(new_index), dtype=np.int64)
        seen.append((new_index.path / "probe_first.npy").is_file())
        yield "probe_second", np.full(3, 7, dtype=np.int32)

    info = update_index(tmp_path, base, np.ones(N_BASE, dtype=bool), [], fingerprint="next",
                        updaters=[updater])
    assert seen == [True]
    new = load_index(tmp_path)
    assert new is not None and new.version == info.version != base.version
    assert new.meta["parts"] == {"probe_first": "array", "probe_second": "array"}
    np.testing.assert_array_equal(new.parts["probe_first"], np.arange(N_BASE))
    np.testing.assert_array_equal(new.parts["probe_second"], [7, 7, 7])


def test_an_update_failing_after_some_parts_leaves_no_partial_version(
        tmp_path: Path, base: Index) -> None:
    before = _versions(tmp_path)

    def updater(base_index, keep, new_docs, new_index):
        yield "probe_first", np.arange(4)
        assert (new_index.path / "probe_first.npy").is_file()
        raise RuntimeError("merge failed")

    with pytest.raises(RuntimeError, match="merge failed"):
        update_index(tmp_path, base, np.ones(N_BASE, dtype=bool), [], fingerprint="next",
                     updaters=[updater])
    assert current_version(tmp_path) == base.version
    assert _versions(tmp_path) == before
    assert not list(tmp_path.glob(f"{TMP_PREFIX}*"))
    still = load_index(tmp_path)
    assert still is not None and len(still) == N_BASE and "probe_first" not in still.parts


def test_a_part_named_twice_fails_the_update(tmp_path: Path, base: Index) -> None:
    def updater(base_index, keep, new_docs, new_index):
        yield "probe_first", np.arange(4)
        yield "probe_first", np.arange(5)

    with pytest.raises(ValueError, match="probe_first"):
        update_index(tmp_path, base, np.ones(N_BASE, dtype=bool), [], fingerprint="next",
                     updaters=[updater])
    assert current_version(tmp_path) == base.version
    assert not list(tmp_path.glob(f"{TMP_PREFIX}*"))
