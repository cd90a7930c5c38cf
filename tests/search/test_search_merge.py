"""Merging sorted term tables with numpy gives the table packing the merged terms gives."""

from __future__ import annotations

import bisect

import numpy as np
import pytest

from recommend import search_merge
from recommend.search_merge import locate
from recommend.search_terms import TermTable
from tests.search.whole_table_merge import merge_table

ALPHABET = list("abcz") + ["é", "ß", "α", "漢", " "]


def _words(rng: np.random.Generator, n: int) -> list[str]:
    lengths = rng.integers(1, 24, size=n)
    return ["".join(rng.choice(ALPHABET, size=k)) for k in lengths]


@pytest.mark.parametrize("seed", range(12))
def test_merged_table_equals_the_packed_merge(seed):
    rng = np.random.default_rng(seed)
    old = sorted(set(_words(rng, int(rng.integers(0, 300)))))
    candidates = sorted(set(_words(rng, int(rng.integers(0, 100)))) - set(old))
    alive = rng.random(len(old)) > 0.3
    table = TermTable.pack(old)
    found, insert_at = locate(table, candidates)
    assert (found == -1).all()
    edit = merge_table(table, alive, candidates, insert_at)
    expected = TermTable.pack(sorted([t for t, a in zip(old, alive, strict=True) if a]
                                     + candidates))
    for attr in ("blob", "offsets", "hashes", "hash_pos"):
        assert np.array_equal(getattr(edit.table, attr), getattr(expected, attr)), attr
    assert [edit.table[j] for j in edit.added_to_new] == candidates
    kept = np.flatnonzero(alive)
    assert [edit.table[j] for j in edit.old_to_new[kept]] == [old[i] for i in kept]
    assert (edit.old_to_new[~alive] == -1).all()


def test_locate_finds_present_terms_long_and_short():
    terms = sorted(["ab", "abc", "averyveryverylongterm", "averyveryverylongtermz", "zz", "漢字"])
    table = TermTable.pack(terms)
    queries = sorted(["ab", "aba", "averyveryverylongterm", "averyveryverylongtermy", "漢字",
                      "zzz"])
    found, insert_at = locate(table, queries)
    assert [terms[j] if j >= 0 else None for j in found] == [
        q if q in terms else None for q in queries]
    encoded = [t.encode() for t in terms]
    assert insert_at.tolist() == [bisect.bisect_left(encoded, q.encode()) for q in queries]


@pytest.mark.parametrize("stride", [1, 3, 256])
@pytest.mark.parametrize("seed", range(8))
def test_locate_agrees_with_bisect_on_shared_prefixes(seed, stride, monkeypatch):
    monkeypatch.setattr(search_merge, "DIRECTORY_STRIDE", stride)   # blocks of any size
    rng = np.random.default_rng(seed)
    # many terms sharing their first 16 bytes, and terms that are prefixes of others
    stems = ["".join(rng.choice(ALPHABET, size=18)) for _ in range(5)]
    words = _words(rng, 400) + [s[:k] + w for s in stems for k in (0, 10, 15, 16, 18)
                                for w in _words(rng, 6)]
    terms = sorted(set(words[: len(words) // 2]))
    queries = sorted(set(words[len(words) // 2:]) | set(terms[::7]))
    found, insert_at = locate(TermTable.pack(terms), queries)
    encoded = [t.encode() for t in terms]
    assert insert_at.tolist() == [bisect.bisect_left(encoded, q.encode()) for q in queries]
    assert [terms[j] if j >= 0 else None for j in found] == [
        q if q in set(terms) else None for q in queries]


def test_locate_in_an_empty_table():
    found, insert_at = locate(TermTable.pack([]), ["a", "b"])
    assert found.tolist() == [-1, -1] and insert_at.tolist() == [0, 0]
