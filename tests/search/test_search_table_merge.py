"""The update's term table merged a block at a time equals the whole-table merge."""

from __future__ import annotations

import numpy as np
import pytest

from recommend import search_table_merge
from recommend.index_stream import in_memory
from recommend.search_merge import locate
from recommend.search_state import kept_terms
from recommend.search_table_merge import renumbered, streamed_merge_table
from recommend.search_terms import PREFIX, TermTable, term_hash
from tests.search import whole_table_merge
from tests.search.whole_table_merge import _renumbering, merge_table

ALPHABET = list("abz") + ["é", "ß", "漢", " "]


def _words(rng: np.random.Generator, n: int) -> list[str]:
    return ["".join(rng.choice(ALPHABET, size=k)) for k in rng.integers(1, 12, size=n)]


def _case(seed: int, drop: float) -> tuple[TermTable, np.ndarray, list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    old = sorted(set(_words(rng, int(rng.integers(0, 400)))))
    added = sorted(set(_words(rng, int(rng.integers(0, 150)))) - set(old))
    alive = rng.random(len(old)) >= drop
    table = TermTable.pack(old)
    return table, alive, added, locate(table, added)[1]


def _assert_same(table, alive, added, insert_at, block) -> None:
    whole = merge_table(table, alive.copy(), added, insert_at)
    streamed = streamed_merge_table(table, alive.copy(), added, insert_at, name="terms",
                                    block=block)
    parts = in_memory(streamed.parts)
    expected = whole.table.parts("terms")
    assert list(parts) == list(expected)
    for name, value in expected.items():
        assert parts[name].dtype == value.dtype, name
        assert np.array_equal(parts[name], value), name
    assert np.array_equal(streamed.old_to_new, whole.old_to_new)
    assert np.array_equal(streamed.added_to_new, whole.added_to_new)
    assert streamed.n_terms == len(whole.table)


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 22])
@pytest.mark.parametrize("drop", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("seed", range(6))
def test_streamed_table_equals_the_whole_merge(seed, drop, block) -> None:
    _assert_same(*_case(seed, drop), block)


@pytest.mark.parametrize("block", [1, 3, 1 << 22])
def test_terms_added_before_the_first_and_after_the_last(block) -> None:
    table = TermTable.pack(["b", "c", "d"])
    added = ["a", "e", "f"]
    _assert_same(table, np.array([True, False, True]), added, locate(table, added)[1], block)


@pytest.mark.parametrize("block", [1, 2, 5, 1 << 22])
def test_into_an_empty_table_and_with_nothing_added(block) -> None:
    empty = TermTable.pack([])
    _assert_same(empty, np.zeros(0, bool), ["x", "y"], np.zeros(2, np.int64), block)
    table = TermTable.pack(["p", "q", "r"])
    _assert_same(table, np.array([True, False, True]), [], np.zeros(0, np.int64), block)


def _colliding_hash(key: bytes) -> int:
    return term_hash(key) % 3         # three hash values: every term collides


@pytest.mark.parametrize("block", [1, 2, 5, 1 << 22])
@pytest.mark.parametrize("seed", range(4))
def test_colliding_hashes_are_ordered_by_position(seed, block, monkeypatch) -> None:
    monkeypatch.setattr(whole_table_merge, "term_hash", _colliding_hash)
    monkeypatch.setattr(search_table_merge, "term_hash", _colliding_hash)
    table, alive, added, insert_at = _case(seed, 0.3)
    table = table.with_hashes(np.array([_colliding_hash(t) for t in table.iter_raw()],
                                       dtype=np.int64))
    _assert_same(table, alive, added, insert_at, block)


def test_each_part_releases_the_old_pages_once_written() -> None:
    table, alive, added, insert_at = _case(1, 0.2)
    released = []
    streamed = streamed_merge_table(table, alive, added, insert_at, name="terms", block=5,
                                    release=lambda: released.append(1))
    for part in streamed.parts.values():
        list(part.blocks())
    assert len(released) == 4
    assert set(streamed.parts) == {f"{PREFIX}terms_{k}" for k in ("blob", "offsets", "hash",
                                                                  "hash_pos")}


@pytest.mark.parametrize("block", [1, 2, 3, 10, 1 << 22])
@pytest.mark.parametrize("seed", range(8))
def test_renumbered_a_block_at_a_time_equals_the_whole_renumbering(seed, block) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    alive = rng.random(n) < [0.0, 0.5, 1.0][seed % 3]
    insert_at = np.sort(rng.integers(0, n + 1, size=int(rng.integers(0, 12))))
    old_to_new, added_to_new = renumbered(alive, insert_at, block)
    expected_old, expected_added, _ = _renumbering(alive, insert_at, len(insert_at))
    assert np.array_equal(old_to_new, expected_old)
    assert np.array_equal(added_to_new, expected_added)


@pytest.mark.parametrize("colliding", [False, True])
@pytest.mark.parametrize("block", [1, 3, 64, 1 << 22])
@pytest.mark.parametrize("share", [0.0, 0.4, 1.0])
@pytest.mark.parametrize("seed", range(4))
def test_kept_terms_of_the_streamed_table_equal_those_of_the_whole(seed, share, block, colliding,
                                                                   monkeypatch) -> None:
    table, alive, added, insert_at = _case(seed, 0.3)
    if colliding:
        monkeypatch.setattr(whole_table_merge, "term_hash", _colliding_hash)
        monkeypatch.setattr(search_table_merge, "term_hash", _colliding_hash)
        table = table.with_hashes(np.array([_colliding_hash(t) for t in table.iter_raw()],
                                           dtype=np.int64))
    whole = merge_table(table, alive.copy(), added, insert_at).table
    streamed = streamed_merge_table(table, alive.copy(), added, insert_at, name="terms",
                                    block=block)
    keep = np.random.default_rng(seed).random(len(whole)) < share
    expected = kept_terms(whole, keep).parts("words")
    parts = in_memory(streamed.kept(keep, "words"))
    assert list(parts) == list(expected)
    for name, value in expected.items():
        assert parts[name].dtype == value.dtype, name
        assert np.array_equal(parts[name], value), name
