"""The whole-table merge of sorted term tables: the reference the update's streamed merge
(recommend/search_table_merge.py) is tested against, itself tested against packing the
merged terms (tests/search/test_search_merge.py). It holds the merged table and int64
temporaries of the table's length at once, which the update cannot afford at scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recommend.search_merge import locate
from recommend.search_terms import TermTable, term_hash


@dataclass
class TableEdit:
    """A table merged with new terms: the table, and where each old term (-1 when
    dropped) and each added term went."""

    table: TermTable
    old_to_new: np.ndarray
    added_to_new: np.ndarray


def merge_table(old: TermTable, alive: np.ndarray, added: Sequence[str],
                insert_at: np.ndarray | None = None) -> TableEdit:
    """`old` without the terms where `alive` is False, plus `added` (sorted, none in old;
    `insert_at`: where each sorts in old, as `locate` gives it).

    Memory: besides the merged table and `old_to_new`, only transient int64 arrays of the
    old table's length, freed as soon as used, and none when every old term survives (the
    usual update: papers added, none removed), where the old arrays are read in place."""
    encoded = [t.encode() for t in added]
    if insert_at is None:
        insert_at = locate(old, added)[1]
    old_to_new, added_to_new, survivors = _renumbering(alive, insert_at, len(added))
    offsets = np.asarray(old.offsets)
    lengths = np.diff(offsets)
    blob = np.asarray(old.blob)
    if survivors is None:       # every term survives: the old offsets and bytes as they are
        kept_blob, kept_offsets = blob, offsets
    else:
        kept_blob = blob[np.repeat(alive, lengths)]
        kept_offsets = np.zeros(len(survivors) + 1, dtype=np.int64)
        np.cumsum(lengths[survivors], out=kept_offsets[1:])
    added_lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    # how many kept terms come before each insertion point
    kept_before_insert = added_to_new - np.arange(len(added), dtype=np.int64)
    new_blob = np.insert(kept_blob, np.repeat(kept_offsets[kept_before_insert], added_lengths),
                         np.frombuffer(b"".join(encoded), dtype=np.uint8))
    del kept_blob, kept_offsets
    new_lengths = np.zeros(int(alive.sum()) + len(added), dtype=np.int64)
    if survivors is None:
        new_lengths[old_to_new] = lengths
    else:
        new_lengths[old_to_new[survivors]] = lengths[survivors]
    del lengths, survivors
    new_lengths[added_to_new] = added_lengths
    new_offsets = np.zeros(len(new_lengths) + 1, dtype=np.int64)
    np.cumsum(new_lengths, out=new_offsets[1:])
    del new_lengths
    hashes, hash_pos = _merged_hashes(old, old_to_new, encoded, added_to_new)
    return TableEdit(TermTable(new_blob.astype(np.uint8, copy=False), new_offsets, hashes,
                               hash_pos), old_to_new, added_to_new)


def _renumbering(alive: np.ndarray, insert_at: np.ndarray, n_added: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Where each old term goes (-1: dropped) and each added one, and the positions of the
    surviving old terms (None when all survive)."""
    n = len(alive)
    if alive.all():
        old_to_new = np.arange(n, dtype=np.int64)
        old_to_new += np.searchsorted(insert_at, old_to_new, side="right")
        return old_to_new, insert_at + np.arange(n_added, dtype=np.int64), None
    alive_before = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(alive, out=alive_before[1:])
    old_to_new = np.full(n, -1, dtype=np.int64)
    survivors = np.flatnonzero(alive)
    old_to_new[survivors] = alive_before[survivors] + np.searchsorted(insert_at, survivors,
                                                                      side="right")
    return old_to_new, alive_before[insert_at] + np.arange(n_added, dtype=np.int64), survivors


def _merged_hashes(old: TermTable, old_to_new: np.ndarray, encoded: list[bytes],
                   added_to_new: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The hash index `TermTable.pack` would give: hashes sorted, ties by position."""
    if old.hashes is None:
        return None, None
    positions = old_to_new[np.asarray(old.hash_pos)]
    survives = positions >= 0
    hashes = np.asarray(old.hashes)     # read in place when every term survives
    if not survives.all():
        hashes, positions = hashes[survives], positions[survives]
    del survives
    added_hashes = np.array([term_hash(e) for e in encoded], dtype=np.int64)
    order = np.lexsort((added_to_new, added_hashes))
    added_hashes, added_pos = added_hashes[order], added_to_new[order]
    at = np.searchsorted(hashes, added_hashes)
    # 64-bit collisions: among equal hashes the lower position comes first
    last = max(len(hashes) - 1, 0)
    for i in np.flatnonzero((at < len(hashes)) & (hashes[np.minimum(at, last)] == added_hashes)
                            if len(hashes) else []):
        while (at[i] < len(hashes) and hashes[at[i]] == added_hashes[i]
               and positions[at[i]] < added_pos[i]):
            at[i] += 1
    return np.insert(hashes, at, added_hashes), np.insert(positions, at, added_pos)


def whole_merge_columns(table: TermTable, alive: np.ndarray, new_terms: Sequence[str]
                        ) -> tuple[TableEdit, np.ndarray]:
    """`search_update._merge_columns` with the whole-table merge."""
    found, insert_at = locate(table, new_terms)
    alive[found[found >= 0]] = True
    absent = found < 0
    edit = merge_table(table, alive, [t for t, a in zip(new_terms, absent, strict=True) if a],
                       insert_at[absent])
    columns = np.empty(len(new_terms), dtype=np.int64)
    columns[~absent] = edit.old_to_new[found[~absent]]
    columns[absent] = edit.added_to_new
    return edit, columns
