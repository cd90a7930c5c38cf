"""Merging sorted term tables with numpy gives the table packing the merged terms gives."""

from __future__ import annotations

import bisect

import numpy as np
import pytest

from recommend import search_merge
from recommend.search_merge import locate, merge_table
from recommend.search_terms import TermTable

ALPHABET = list("abcz") + ["é", "ß", "α", "漢", " "]


def _words(rng: np.random.Generator, n: int) -> list[str]:
    lengths = rng.integers(1, 24, size=n)
    return ["".join(rng.choice(ALPHABET, size=k)) for k in lengths]


@pytest.mark.parametrize("seed", range(12))
def test_merged_table_equals_the_packed_merge(seed, monkeypatch):
    monkeypatch.setattr(search_merge, "PREFIX_CHUNK", 7)   # prefixes read in many chunks
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
