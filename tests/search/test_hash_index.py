"""The text terms' hash index made from the spilled table's files (term_hashes.HashIndex)
is the index `TermTable.with_hashes` makes, and finds terms as `positions_of` does."""

from __future__ import annotations

import numpy as np
import pytest

from recommend import term_hashes
from recommend.index_pass import SpilledTerms
from recommend.search_terms import TermTable
from recommend.term_hashes import HashIndex

TERMS = sorted({f"w{i:05d}" for i in range(0, 6000, 3)} | {"naïve", "réseau", "東京 大学",
                                                             "a", "ab", "zeta", "ζ"})


def _index(tmp_path, terms: list[str], workers: int) -> tuple[HashIndex, TermTable]:
    table = TermTable.unhashed(terms)
    spilled = SpilledTerms.spill(table, tmp_path)
    index = HashIndex.of_files(spilled.files, workers)
    return index, table.with_hashes()


@pytest.mark.parametrize("workers", [1, 2])
def test_the_index_from_files_is_the_tables_own(tmp_path, monkeypatch, workers) -> None:
    """Hashed in ranges of 97 terms, by two worker processes or in this one."""
    monkeypatch.setattr(term_hashes, "HASH_TASK_TERMS", 97)
    monkeypatch.setattr(term_hashes, "PARALLEL_MIN_TERMS", 1)
    index, hashed = _index(tmp_path, TERMS, workers)
    assert index.hashes.tobytes() == hashed.hashes.tobytes()
    assert index.hash_pos.tobytes() == hashed.hash_pos.tobytes()
    assert index.hashes.dtype == index.hash_pos.dtype == np.int64 and len(index) == len(TERMS)
    wanted = TermTable.unhashed(sorted({*TERMS[::7], "absent", "w00001", "東京", ""}))
    assert index.positions_of(wanted).tolist() == hashed.positions_of(wanted).tolist()
    empty = TermTable.unhashed([])
    assert index.positions_of(empty).tolist() == []


def test_terms_whose_hashes_collide_are_told_apart_by_their_bytes(tmp_path) -> None:
    """Several terms under one hash (forced): each found where its bytes are, in the
    order `find_raw` walks equal hashes; a term with that hash but absent is -1."""
    terms = ["alpha", "beta", "delta", "gamma"]
    calls: list[np.ndarray] = []

    def take(columns: np.ndarray) -> list[str]:
        calls.append(columns)
        return [terms[j] for j in columns]

    # "beta", "gamma" and "delta" share a hash; "alpha" has its own
    index = HashIndex(np.array([5, 9, 9, 9]), np.array([0, 3, 1, 2]), take)
    wanted = TermTable.unhashed(["alpha", "beta", "delta", "epsilon", "gamma"])
    real = wanted.term_hashes
    wanted.term_hashes = lambda: np.array([5, 9, 9, 9, 9])
    assert index.positions_of(wanted).tolist() == [0, 1, 2, -1, 3]
    assert all(np.all(np.diff(c) >= 0) for c in calls)   # read at increasing positions
    wanted.term_hashes = real
