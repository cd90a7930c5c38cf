"""Sorted term tables merged a round at a time (recommend.search_terms.merge_terms) give
the sorted union and each table's positions in it, however few terms a round holds."""

from __future__ import annotations

import random

import numpy as np
import pytest

from recommend import search_terms
from recommend.search_terms import TermTable, merge_terms

ALPHABET = "ab z\u00e9\u00df\u4e1c\U0001f600"


def _reference(tables: list[list[str]]) -> tuple[list[str], list[list[int]]]:
    union = sorted({t for table in tables for t in table})
    where = {t: i for i, t in enumerate(union)}
    return union, [[where[t] for t in table] for table in tables]


def _random_tables(seed: int, n_tables: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = {"".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6)))
             for _ in range(3000)}
    pool = sorted(words)
    return [sorted(rng.sample(pool, rng.randint(0, len(pool) // 2))) for _ in range(n_tables)]


@pytest.mark.parametrize("held", [1, 5, 1 << 20])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merged_tables_are_the_sorted_union_with_each_tables_positions(monkeypatch, held,
                                                                       seed) -> None:
    monkeypatch.setattr(search_terms, "MERGE_HELD", held)
    tables = _random_tables(seed, n_tables=2 + seed * 5) + [[]]
    union, positions = _reference(tables)
    # TermTables and plain lists both merge; a held batch is never under 1,024 terms
    inputs = [TermTable.unhashed(t) if k % 2 else t for k, t in enumerate(tables)]
    merged, maps = merge_terms(inputs)
    assert list(merged) == union
    assert merged.blob.tobytes() == "".join(union).encode()
    assert merged.offsets.dtype == np.int64 and merged.hashes is None
    assert [m.dtype for m in maps] == [np.dtype(np.int64)] * len(tables)
    assert [m.tolist() for m in maps] == positions


def test_tables_longer_than_a_round_merge_in_order(monkeypatch) -> None:
    """Three tables of interleaved terms, each longer than a round holds."""
    monkeypatch.setattr(search_terms, "MERGE_HELD", 1)
    tables = [[f"t{i:05d}" for i in range(k, 5000, 3)] for k in range(3)]
    tables.append([f"t{i:05d}" for i in range(0, 5000, 7)])   # shared with the others
    union, positions = _reference(tables)
    merged, maps = merge_terms(tables)
    assert list(merged) == union and len(union) == 5000
    assert [m.tolist() for m in maps] == positions


def test_no_tables_and_empty_tables_merge_to_an_empty_table() -> None:
    for tables in ([], [[]], [[], TermTable.unhashed([])]):
        merged, maps = merge_terms(tables)
        assert len(merged) == 0 and merged.offsets.tolist() == [0]
        assert [m.tolist() for m in maps] == [[] for _ in tables]
