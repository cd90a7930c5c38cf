"""Every term of one table looked up in another at once (TermTable.positions_of) finds
what `find_raw` finds term by term, and the hashes it reads are `term_hash`'s."""

from __future__ import annotations

import random

import numpy as np
import pytest

from recommend import search_terms
from recommend.search_terms import TermTable, term_hash

# hostile terms: accents, CJK, emoji, a combining mark, bytes that share UTF-8 prefixes
ALPHABET = "ab z\u00e9\u00df\u4e1c\U0001f600\u0301\u00ff"


def _random_terms(rng: random.Random, n: int) -> list[str]:
    return sorted({"".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 7)))
                   for _ in range(n)})


def test_term_hashes_are_term_hash_of_each_term() -> None:
    terms = _random_terms(random.Random(0), 3000) + ["\U0010ffff" * 3]
    table = TermTable.unhashed(sorted(terms))
    assert table.term_hashes().tolist() == [term_hash(t.encode()) for t in sorted(terms)]
    assert TermTable.unhashed([]).term_hashes().tolist() == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_positions_of_agree_with_find_raw(seed) -> None:
    rng = random.Random(seed)
    vocab = TermTable.pack(_random_terms(rng, 4000))
    # terms in the vocabulary, terms only outside it, and prefixes/extensions of its terms
    pool = list(vocab)
    probes = set(rng.sample(pool, len(pool) // 3)) | set(_random_terms(rng, 2000))
    probes |= {t[:-1] for t in pool[:200] if len(t) > 1} | {t + "\u00e9" for t in pool[:200]}
    other = TermTable.unhashed(sorted(probes))
    expected = [-1 if (at := vocab.find_raw(t)) is None else at for t in other.iter_raw()]
    got = vocab.positions_of(other)
    assert got.dtype == np.int64 and got.tolist() == expected
    assert (got >= 0).any() and (got < 0).any()


def test_positions_of_checks_the_bytes_when_hashes_collide(monkeypatch) -> None:
    """Terms of equal hash (forced: every hash the same) are told apart by their bytes."""
    monkeypatch.setattr(search_terms, "term_hash", lambda key: 7)
    terms = ["alpha", "beta", "gamma", "\u4e1c\u4e1c"]
    forced = np.full(len(terms), 7, dtype=np.int64)
    vocab = TermTable(TermTable.unhashed(terms).blob, TermTable.unhashed(terms).offsets,
                      forced, np.arange(len(terms), dtype=np.int64))
    other = TermTable.unhashed(["beta", "delta", "\u4e1c\u4e1c"])
    monkeypatch.setattr(TermTable, "term_hashes", lambda self: np.full(len(self), 7, np.int64))
    assert vocab.positions_of(other).tolist() == [1, -1, 3]


def test_positions_of_empty_tables_and_a_table_without_hashes() -> None:
    vocab = TermTable.pack(["a", "b"])
    assert vocab.positions_of(TermTable.unhashed([])).tolist() == []
    assert TermTable.pack([]).positions_of(TermTable.unhashed(["a"])).tolist() == [-1]
    with pytest.raises(ValueError):
        TermTable.unhashed(["a"]).positions_of(TermTable.unhashed(["a"]))


@pytest.mark.parametrize("workers", [1, 2])
def test_hash_index_from_worker_processes_is_the_one_made_here(monkeypatch, workers) -> None:
    from recommend import term_hashes

    monkeypatch.setattr(term_hashes, "PARALLEL_MIN_TERMS", 1)
    monkeypatch.setattr(term_hashes, "HASH_TASK_TERMS", 333)
    table = TermTable.unhashed(_random_terms(random.Random(5), 2000))
    expected = table.with_hashes()
    with term_hashes.hashing(table, workers) as hashed:
        got = hashed()
    assert got.hashes.tolist() == expected.hashes.tolist()
    assert got.hash_pos.tolist() == expected.hash_pos.tolist()
    assert got.hashes.dtype == got.hash_pos.dtype == np.int64
    assert [got.find(t) for t in list(table)[:50]] == list(range(50))
