"""An update's merged term table written a block of old terms at a time.

The update used to merge a table whole (tests/search/whole_table_merge.py keeps that merge
as the reference): its bytes, offsets, hashes and hash positions, beside the old-to-new map
and int64 temporaries of the table's length, about 40 bytes a term plus the bytes. At 1M
papers (tens of millions of text terms) that was the update's largest step after the text
postings (issue 21). Here only the old-to-new map is held (8 bytes a term, itself made a
block at a time: `renumbered`): each part is handed to the writer as a `StreamedArray`
whose blocks are made from one block of the old table (read in place) and the added terms
that sort into it, so the parts equal the whole merge's byte for byte.
`StreamedTableEdit.kept` cuts a table of some of the merged terms from the same blocks (the
update's did-you-mean words).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from recommend.index_stream import StreamedArray
from recommend.search_merge import locate
from recommend.search_terms import PREFIX, TermTable, term_hash

# old terms (and old hash entries) read and merged at a time
TABLE_BLOCK = 1 << 22


@dataclass
class StreamedTableEdit:
    """A merged table as parts to write, and where each old term (-1 when dropped) and
    each added term went."""

    parts: dict[str, StreamedArray]
    old_to_new: np.ndarray
    added_to_new: np.ndarray
    n_terms: int
    terms: _OldBlocks
    hashes: _HashBlocks | None

    def kept(self, keep: np.ndarray, name: str) -> dict[str, StreamedArray]:
        """The merged table's terms where `keep` (a flag per merged term) as the streamed
        parts `TermTable.parts(name)` names: what `search_state.kept_terms` gives for the
        merged table, hash index included, without the merged table in memory."""
        keep = np.asarray(keep, dtype=bool)
        n_kept = int(np.count_nonzero(keep))
        terms = self.terms
        n_bytes = sum(int(lengths[keep[at:at + len(lengths)]].sum())
                      for at, lengths, _ in terms.merged_blocks(with_bytes=False))

        def blob_blocks() -> Iterator[np.ndarray]:
            for at, lengths, data in terms.merged_blocks():
                yield data[np.repeat(keep[at:at + len(lengths)], lengths)]
            terms.release()

        def offset_blocks() -> Iterator[np.ndarray]:
            carry = 0
            yield np.zeros(1, dtype=np.int64)
            for at, lengths, _ in terms.merged_blocks(with_bytes=False):
                offsets = np.cumsum(lengths[keep[at:at + len(lengths)]], dtype=np.int64) + carry
                carry = int(offsets[-1]) if len(offsets) else carry
                yield offsets
            terms.release()

        parts = {f"{PREFIX}{name}_blob": StreamedArray(np.dtype(np.uint8), n_bytes, blob_blocks),
                 f"{PREFIX}{name}_offsets": StreamedArray(np.dtype(np.int64), n_kept + 1,
                                                         offset_blocks)}
        if self.hashes is not None:
            parts.update(self.hashes.kept(keep, name))
        return parts


@dataclass(frozen=True)
class _Added:
    """The added terms: their bytes joined, each one's length and start, and the old
    position each sorts before (`insert_at`, ascending)."""

    data: np.ndarray
    lengths: np.ndarray
    starts: np.ndarray
    insert_at: np.ndarray

    @classmethod
    def of(cls, encoded: list[bytes], insert_at: np.ndarray) -> _Added:
        lengths = np.array([len(e) for e in encoded], dtype=np.int64)
        starts = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), lengths, starts,
                    np.asarray(insert_at, dtype=np.int64))


def streamed_merge_table(old: TermTable, alive: np.ndarray, added: Sequence[str],
                         insert_at: np.ndarray | None = None, *, name: str,
                         block: int | None = None, release: Callable[[], object] = lambda: None
                         ) -> StreamedTableEdit:
    """The table merged from `old` without the terms where `alive` is False, plus `added`
    (sorted, none in old; `insert_at`: where each sorts in old, as `search_merge.locate`
    gives it), as the streamed parts `TermTable.parts(name)` names. `release` runs after
    each part is written (it drops the old table's mapped pages)."""
    block = TABLE_BLOCK if block is None else block
    encoded = [t.encode() for t in added]
    if insert_at is None:
        insert_at = locate(old, added)[1]
    old_to_new, added_to_new = renumbered(alive, np.asarray(insert_at, dtype=np.int64),
                                          block)
    new = _Added.of(encoded, insert_at)
    n_terms = len(old_to_new) - int(np.count_nonzero(old_to_new < 0)) + len(encoded)
    table = _OldBlocks(old, alive, new, block, release)
    parts = {f"{PREFIX}{name}_blob": StreamedArray(np.dtype(np.uint8), table.n_bytes(),
                                                  table.blob_blocks),
             f"{PREFIX}{name}_offsets": StreamedArray(np.dtype(np.int64), n_terms + 1,
                                                     table.offset_blocks)}
    hashes = None
    if old.hashes is not None:
        hashes = _HashBlocks(old, old_to_new, encoded, added_to_new, block, release)
        parts[f"{PREFIX}{name}_hash"] = StreamedArray(np.dtype(np.int64), n_terms,
                                                      hashes.hash_blocks)
        parts[f"{PREFIX}{name}_hash_pos"] = StreamedArray(np.dtype(np.int64), n_terms,
                                                          hashes.position_blocks)
    return StreamedTableEdit(parts, old_to_new, added_to_new, n_terms, table, hashes)


def renumbered(alive: np.ndarray, insert_at: np.ndarray, block: int = TABLE_BLOCK
               ) -> tuple[np.ndarray, np.ndarray]:
    """Where each old term goes (-1 when dropped) and where each added term goes, made a
    block of old terms at a time: only the result is held, not int64 temporaries of the
    table's length."""
    n = len(alive)
    old_to_new = np.empty(n, dtype=np.int64)
    alive_before_added = np.full(len(insert_at), int(np.count_nonzero(alive)), dtype=np.int64)
    carry = 0
    for start in range(0, n, block):
        stop = min(start + block, n)
        survives = np.asarray(alive[start:stop], dtype=bool)
        before = np.zeros(stop - start + 1, dtype=np.int64)
        np.cumsum(survives, out=before[1:])
        before += carry
        positions = np.arange(start, stop, dtype=np.int64)
        moved = before[:-1] + np.searchsorted(insert_at, positions, side="right")
        old_to_new[start:stop] = np.where(survives, moved, -1)
        first, last = np.searchsorted(insert_at, [start, stop], side="left")
        alive_before_added[first:last] = before[insert_at[first:last] - start]
        carry = int(before[-1])
    return old_to_new, alive_before_added + np.arange(len(insert_at), dtype=np.int64)


@dataclass
class _OldBlocks:
    """The merged terms' bytes and offsets, a block of old terms (with the added terms
    sorting before the next block) at a time."""

    old: TermTable
    alive: np.ndarray
    added: _Added
    block: int
    release: Callable[[], object]

    def _blocks(self) -> Iterator[tuple[int, int, int, int]]:
        """(start, stop) of each block of old terms and (first, last + 1) of the added
        terms inserted in it; the last block takes those inserted at the end."""
        n = len(self.old)
        starts = list(range(0, n, self.block)) or [0]
        cut = np.searchsorted(self.added.insert_at, starts[1:], side="left").tolist()
        firsts, lasts = [0, *cut], [*cut, len(self.added.lengths)]
        for start, first, last in zip(starts, firsts, lasts, strict=True):
            yield start, min(start + self.block, n), first, last

    def _lengths(self, start: int, stop: int, first: int, last: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The old terms' lengths in the block, which survive, and where each added term
        goes among the survivors."""
        lengths = np.diff(np.asarray(self.old.offsets[start:stop + 1]))
        alive = np.asarray(self.alive[start:stop], dtype=bool)
        alive_before = np.zeros(len(alive) + 1, dtype=np.int64)
        np.cumsum(alive, out=alive_before[1:])
        return lengths, alive, alive_before[self.added.insert_at[first:last] - start]

    def n_bytes(self) -> int:
        total = int(self.added.starts[-1])
        for start, stop, _, _ in self._blocks():
            lengths = np.diff(np.asarray(self.old.offsets[start:stop + 1]))
            total += int(lengths[np.asarray(self.alive[start:stop], dtype=bool)].sum())
        return total

    def merged_blocks(self, with_bytes: bool = True
                      ) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        """(position of the block's first merged term, the merged terms' lengths, their
        bytes when `with_bytes`) for each block."""
        offsets, at = np.asarray(self.old.offsets), 0
        added = self.added
        for start, stop, first, last in self._blocks():
            lengths, alive, where = self._lengths(start, stop, first, last)
            merged = np.insert(lengths[alive], where, added.lengths[first:last])
            data = None
            if with_bytes:
                kept = np.asarray(self.old.blob[int(offsets[start]):int(offsets[stop])])
                kept = kept[np.repeat(alive, lengths)]
                kept_offsets = np.zeros(int(alive.sum()) + 1, dtype=np.int64)
                np.cumsum(lengths[alive], out=kept_offsets[1:])
                data = np.insert(kept, np.repeat(kept_offsets[where], added.lengths[first:last]),
                                 added.data[added.starts[first]:added.starts[last]])
            yield at, merged, data
            at += len(merged)

    def offset_blocks(self) -> Iterator[np.ndarray]:
        carry = 0
        yield np.zeros(1, dtype=np.int64)
        for _, lengths, _ in self.merged_blocks(with_bytes=False):
            offsets = np.cumsum(lengths, dtype=np.int64) + carry
            carry = int(offsets[-1]) if len(offsets) else carry
            yield offsets
        self.release()

    def blob_blocks(self) -> Iterator[np.ndarray]:
        for _, _, data in self.merged_blocks():
            yield data
        self.release()


class _HashBlocks:
    """The merged hash index (hashes sorted, ties by position, as `TermTable.pack` makes
    it), a block of the old index at a time."""

    def __init__(self, old: TermTable, old_to_new: np.ndarray, encoded: list[bytes],
                 added_to_new: np.ndarray, block: int, release: Callable[[], object]) -> None:
        self.hashes, self.hash_pos = np.asarray(old.hashes), np.asarray(old.hash_pos)
        self.old_to_new, self.block, self.release = old_to_new, block, release
        added_hashes = np.array([term_hash(e) for e in encoded], dtype=np.int64)
        order = np.lexsort((added_to_new, added_hashes))
        self.added_hashes, self.added_pos = added_hashes[order], added_to_new[order]
        self.at = self._insert_points()

    def _insert_points(self) -> np.ndarray:
        """Where each added hash goes in the old index: after the equal hashes of terms
        that come before it or are dropped (a 64-bit collision)."""
        hashes, n = self.hashes, len(self.hashes)
        at = np.searchsorted(hashes, self.added_hashes)
        if not n:
            return at
        for i in np.flatnonzero((at < n) & (hashes[np.minimum(at, n - 1)] == self.added_hashes)):
            while at[i] < n and hashes[at[i]] == self.added_hashes[i]:
                position = self.old_to_new[self.hash_pos[at[i]]]
                if position >= 0 and position >= self.added_pos[i]:
                    break       # a surviving term that comes after the added one
                at[i] += 1
        return at

    def _merged(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.hashes)
        starts = list(range(0, n, self.block)) or [0]
        cut = np.searchsorted(self.at, starts[1:], side="left").tolist()
        for start, first, last in zip(starts, [0, *cut], [*cut, len(self.at)], strict=True):
            stop = min(start + self.block, n)
            positions = self.old_to_new[np.asarray(self.hash_pos[start:stop])]
            survives = positions >= 0
            before = np.zeros(len(survives) + 1, dtype=np.int64)
            np.cumsum(survives, out=before[1:])
            at = before[self.at[first:last] - start]
            yield (np.insert(np.asarray(self.hashes[start:stop])[survives], at,
                             self.added_hashes[first:last]),
                   np.insert(positions[survives], at, self.added_pos[first:last]))

    def kept(self, keep: np.ndarray, name: str) -> dict[str, StreamedArray]:
        """The hash index of the merged terms where `keep`, each pointing at the term's
        position among them (`search_state.kept_hash_index`)."""
        new_position = np.cumsum(keep, dtype=np.int64) - 1
        n_kept = int(new_position[-1]) + 1 if len(new_position) else 0

        def hash_blocks() -> Iterator[np.ndarray]:
            for hashes, positions in self._merged():
                yield hashes[keep[positions]]
            self.release()

        def position_blocks() -> Iterator[np.ndarray]:
            for _, positions in self._merged():
                yield new_position[positions[keep[positions]]]
            self.release()

        return {f"{PREFIX}{name}_hash": StreamedArray(np.dtype(np.int64), n_kept, hash_blocks),
                f"{PREFIX}{name}_hash_pos": StreamedArray(np.dtype(np.int64), n_kept,
                                                          position_blocks)}

    def hash_blocks(self) -> Iterator[np.ndarray]:
        for hashes, _ in self._merged():
            yield hashes
        self.release()

    def position_blocks(self) -> Iterator[np.ndarray]:
        for _, positions in self._merged():
            yield positions
        self.release()
