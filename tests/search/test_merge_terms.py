"""Sorted term tables merged a round at a time (recommend.term_union.merge_terms) give
the sorted union and each table's positions in it, however few terms a round holds."""

from __future__ import annotations

import random

import numpy as np
import pytest

from recommend import term_union
from recommend.search_terms import TermTable
from recommend.term_files import FileTerms
from recommend.term_union import merge_terms

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


@pytest.mark.parametrize("spill", [0, 1 << 30])   # merged terms spilled every round, never
@pytest.mark.parametrize("held", [1, 5, 1 << 20])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merged_tables_are_the_sorted_union_with_each_tables_positions(monkeypatch, held,
                                                                       seed, spill) -> None:
    monkeypatch.setattr(term_union, "MERGE_HELD", held)
    monkeypatch.setattr(term_union, "SPILL_BYTES", spill)
    tables = _random_tables(seed, n_tables=2 + seed * 5) + [[]]
    union, positions = _reference(tables)
    # TermTables and plain lists both merge; a held batch is never under 1,024 terms
    inputs = [TermTable.unhashed(t) if k % 2 else t for k, t in enumerate(tables)]
    merged, maps = merge_terms(inputs)
    assert list(merged) == union
    assert merged.blob.tobytes() == "".join(union).encode()
    assert merged.offsets.dtype == np.int64 and merged.hashes is None
    # 4 bytes a position while the tables' sizes fit an int32 (8 bytes past that)
    assert [m.dtype for m in maps] == [np.dtype(np.int32)] * len(tables)
    assert [m.tolist() for m in maps] == positions


@pytest.mark.parametrize("spill", [0, 100, 1 << 30])
def test_tables_longer_than_a_round_merge_in_order(monkeypatch, spill) -> None:
    """Three tables of interleaved terms, each longer than a round holds."""
    monkeypatch.setattr(term_union, "MERGE_HELD", 1)
    monkeypatch.setattr(term_union, "SPILL_BYTES", spill)
    tables = [[f"t{i:05d}" for i in range(k, 5000, 3)] for k in range(3)]
    tables.append([f"t{i:05d}" for i in range(0, 5000, 7)])   # shared with the others
    union, positions = _reference(tables)
    merged, maps = merge_terms(tables)
    assert list(merged) == union and len(union) == 5000
    assert [m.tolist() for m in maps] == positions


@pytest.mark.parametrize("held", [1, 5, 1 << 20])
def test_tables_on_disk_merge_a_window_at_a_time_as_in_memory(tmp_path, monkeypatch,
                                                               held) -> None:
    """Spilled runs' terms (`FileTerms`) beside tables in memory and plain lists."""
    monkeypatch.setattr(term_union, "MERGE_HELD", held)
    tables = _random_tables(5, n_tables=6) + [[]]
    union, positions = _reference(tables)
    inputs = [FileTerms.write(TermTable.unhashed(t), tmp_path / f"{k}.blob",
                                         tmp_path / f"{k}.offsets") if k % 3 else t
              for k, t in enumerate(tables)]
    assert list(inputs[1].load()) == tables[1] and len(inputs[1]) == len(tables[1])
    merged, maps = merge_terms(inputs)
    assert list(merged) == union
    assert merged.blob.tobytes() == "".join(union).encode()
    assert [m.tolist() for m in maps] == positions


def test_positions_are_int64_past_what_an_int32_holds() -> None:
    assert term_union.map_dtype([5, 7]) == np.int32
    assert term_union.map_dtype([2**31 - 1]) == np.int32
    assert term_union.map_dtype([2**30, 2**30]) == np.int64


def test_no_tables_and_empty_tables_merge_to_an_empty_table() -> None:
    for tables in ([], [[]], [[], TermTable.unhashed([])]):
        merged, maps = merge_terms(tables)
        assert len(merged) == 0 and merged.offsets.tolist() == [0]
        assert [m.tolist() for m in maps] == [[] for _ in tables]


@pytest.mark.parametrize("key_bytes", [1, 3, 32])
@pytest.mark.parametrize("seed", [3, 4])
def test_terms_that_tie_on_their_sorted_bytes_merge_by_their_whole_bytes(monkeypatch, seed,
                                                                          key_bytes) -> None:
    """Hostile terms: longer than the bytes numpy sorts (shared long prefixes), NUL and
    other control characters, an empty term, every UTF-8 width: the union and positions
    are the sorted set's, whatever the key width and round size."""
    monkeypatch.setattr(term_union, "KEY_BYTES", key_bytes)
    monkeypatch.setattr(term_union, "MERGE_HELD", 1)
    rng = random.Random(seed)
    stems = ["", "\x00", "a\x00", "a\x00b", "\x01", "\u00ff", "\u0100", "\U0010ffff",
             "prefix shared by many terms " * 2]
    pool = sorted({rng.choice(stems) + "".join(rng.choice(ALPHABET + "\x00\x7f")
                                               for _ in range(rng.randint(0, 4)))
                   for _ in range(2500)})
    tables = [sorted(rng.sample(pool, rng.randint(1, len(pool) // 2))) for _ in range(5)]
    union, positions = _reference(tables)
    merged, maps = merge_terms([TermTable.unhashed(t) for t in tables])
    assert list(merged) == union
    assert merged.blob.tobytes() == "".join(union).encode()
    assert [m.tolist() for m in maps] == positions


@pytest.mark.parametrize("in_runs", [True, False])
def test_byte_order_sorts_and_marks_repeats_as_python_does(in_runs) -> None:
    terms = [b"b", b"a", b"", b"a\x00", b"a", b"\xff", b"ab" * 40, b"ab" * 40 + b"c", b"b"]
    blob = np.frombuffer(b"".join(terms), dtype=np.uint8)
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in terms])]).astype(np.int64)
    order, repeat = term_union.byte_order(blob, offsets, in_runs=in_runs)
    assert [terms[i] for i in order] == sorted(terms)
    # equal terms keep their order: the first table's copy of a term comes first
    assert order.tolist() == sorted(range(len(terms)), key=terms.__getitem__)
    ordered = [terms[i] for i in order]
    assert repeat.tolist() == [i > 0 and ordered[i] == ordered[i - 1]
                               for i in range(len(terms))]


@pytest.mark.parametrize("seed", range(40))
def test_sorting_keys_a_word_at_a_time_gives_numpys_stable_order(seed) -> None:
    rng = np.random.default_rng(seed)
    n, n_words = int(rng.integers(0, 300)), int(rng.integers(1, 5))
    # few distinct words, so that rows tie on their first words, on all, or not at all
    keys = rng.choice(np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64), size=(n, n_words))
    if seed % 2:
        keys[:, 0] = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    as_strings = keys.astype(">u8").view(f"S{8 * n_words}").ravel()
    assert (term_union.stable_key_order(keys).tolist()
            == np.argsort(as_strings, kind="stable").tolist())
