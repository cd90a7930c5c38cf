"""The did-you-mean words (written words in two or more papers) cut from the table of
every written word give the table `merge_table` gave, hash index included."""

from __future__ import annotations

import numpy as np
import pytest

from recommend.search_state import kept_terms
from recommend.search_terms import TermTable
from tests.search.whole_table_merge import merge_table

WORDS = sorted({f"w{i:04d}" for i in range(500)} | {"naïve", "Réseau", "東京", "a", "Zeta"})


def _same(a: TermTable, b: TermTable) -> None:
    for name in ("blob", "offsets", "hashes", "hash_pos"):
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_kept_words_are_the_merge_tables_without_the_dropped(share) -> None:
    table = TermTable.pack(WORDS)
    keep = np.random.default_rng(7).random(len(WORDS)) < share
    _same(kept_terms(table, keep), merge_table(table, keep, []).table)


def test_equal_hashes_keep_their_order() -> None:
    """Forced 64-bit collisions: ties stay by position, as the merged table has them."""
    table = TermTable.pack(WORDS[:6])
    table = TermTable(table.blob, table.offsets, np.array([1, 1, 1, 2, 2, 3]),
                      np.array([4, 0, 5, 1, 3, 2]))
    keep = np.array([True, False, True, True, False, True])
    _same(kept_terms(table, keep), merge_table(table, keep, []).table)
    empty = TermTable.pack([])
    _same(kept_terms(empty, np.zeros(0, bool)), merge_table(empty, np.zeros(0, bool), []).table)
