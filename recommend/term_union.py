"""The sorted union of sorted term tables, merged with numpy a round at a time.

A full build merges the term tables of every counted chunk into runs, and the runs'
tables into the vocabulary: tens of millions of terms at 1M papers. As Python bytes
objects, sorted by Python, that cost a microsecond or more a term in the build's main
process. Here a term is never a Python object: each round takes the tables' next terms
as byte ranges of their blobs, pads the first `KEY_BYTES` bytes of each into a fixed-width
numpy key, sorts the keys (numpy's stable sort merges the tables' sorted runs), and
compares neighbours with numpy to drop repeats. Only terms whose keys tie without being
the same term (longer than the key, or holding a NUL byte) are compared whole, in
Python, a handful per round.

UTF-8 bytes sort as the strings do (code-point order), so the union is in string order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from recommend.search_terms import TermTable
from recommend.term_files import FileTerms

# terms merged per round, over all tables (a table's share is never under 1,024 terms)
MERGE_HELD = 1 << 18
# leading bytes of each term sorted and compared by numpy
KEY_BYTES = 32
# merged terms' bytes and offsets held in memory before they go to temporary files
SPILL_BYTES = 64 << 20


def merge_terms(tables: Sequence[Sequence[str] | FileTerms], *,
                into: tuple[Path, Path] | None = None) -> tuple[TermTable, list[np.ndarray]]:
    """The sorted union of sorted, distinct term lists (lists of str, `TermTable`s or
    `FileTerms`: a spilled run's terms, read a round's window at a time, so the runs'
    tables are never all in memory at once), without a hash index, and each list's
    positions in it (int32 while the lists' sizes add up to an int32, else int64: 4
    bytes a run term, not 8, held through a full build's text matrix stage).

    A round takes each table's next terms (MERGE_HELD over all tables) up to the smallest
    last term taken from a table not yet exhausted: every term that can sort before it is
    in the round, so the round's union comes out whole and in order.

    `into`: two files the union's blob and offsets are written to (as `ndarray.tofile`
    writes them); the table returned is then mapped from them, never read back into
    memory beside the tables merged (the full texts' vocabulary, 1.2 GB at 100k papers
    with 30k full texts, is written to the build's spill directory anyway)."""
    if len(tables) == 1 and isinstance(tables[0], TermTable) and into is None:
        return tables[0], [np.arange(len(tables[0]), dtype=map_dtype([len(tables[0])]))]
    tables = [t if isinstance(t, TermTable | FileTerms) else TermTable.unhashed(list(t))
              for t in tables]
    sizes = [len(t) for t in tables]
    batch = max(1024, MERGE_HELD // max(len(tables), 1))
    union = _Union(sizes, into)
    read = [0] * len(tables)
    while any(r < n for r, n in zip(read, sizes, strict=True)):
        ends = [min(n, r + batch) for r, n in zip(read, sizes, strict=True)]
        # each table's terms [read, end) (a spilled table's read from its files)
        views = [_window(t, r, e) for t, r, e in zip(tables, read, ends, strict=True)]
        open_ends = [v.raw(len(v) - 1) for v, e, n in zip(views, ends, sizes, strict=True)
                     if e < n]
        if open_ends:
            frontier = min(open_ends)
            ends = [r + _bisect_right(v, frontier, 0, len(v))
                    for r, v in zip(read, views, strict=True)]
        union.add(views, read, ends)
        read = ends
    return union.table(), union.maps


def _window(table: TermTable | FileTerms, start: int, stop: int) -> TermTable:
    if isinstance(table, FileTerms):
        return table.window(start, stop)
    offsets = np.asarray(table.offsets)[start:stop + 1]
    a = int(offsets[0])
    return TermTable(np.asarray(table.blob)[a:int(offsets[-1])], offsets - a)


def map_dtype(sizes: Sequence[int]) -> np.dtype:
    """The positions' type for tables of `sizes` terms: their union has at most as many."""
    return np.dtype(np.int32 if sum(sizes) <= np.iinfo(np.int32).max else np.int64)


def _bisect_right(table: TermTable, key: bytes, lo: int, hi: int) -> int:
    """First position in [lo, hi) whose term sorts after `key`."""
    at = table.bisect(key, lo, hi)
    return at + 1 if at < hi and table.raw(at) == key else at


class _Union:
    """The merged table being written, and each input table's positions in it.

    Past SPILL_BYTES (or at every round, when written `into` files) the merged blob and
    offsets go to temporary files a round at a time
    and are read back whole at the end: joined in memory they were held twice, beside
    every input table, at the end of the merge (50M terms, 1.2 GB: the full texts'
    vocabulary, when this set the full build's peak)."""

    def __init__(self, sizes: list[int], into: tuple[Path, Path] | None = None) -> None:
        self.blobs: list[np.ndarray] = []
        self.ends: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.n_terms = 0
        self.maps = [np.empty(n, dtype=map_dtype(sizes)) for n in sizes]
        self._held = 0
        self._files: tuple[IO[bytes], IO[bytes]] | None = None
        self._last_end = 0
        self._into = into

    def add(self, views: Sequence[TermTable], starts: list[int], stops: list[int]) -> None:
        """Add the terms [start, stop) of each table, whose view holds its terms from
        start on; all sort after those added before."""
        taken = [(k, a, b) for k, (a, b) in enumerate(zip(starts, stops, strict=True)) if b > a]
        if not taken:
            return
        blob, offsets = _joined([(views[k], 0, b - a) for k, a, b in taken])
        order, repeat = byte_order(blob, offsets)
        is_new = ~repeat
        fresh = order[is_new]
        self.blobs.append(gather_ranges(blob, offsets[fresh], offsets[fresh + 1]))
        lengths = offsets[fresh + 1] - offsets[fresh]
        self.ends.append(self._last_end + np.cumsum(lengths))
        if len(self.ends[-1]):
            self._last_end = int(self.ends[-1][-1])
        self._held += self.blobs[-1].nbytes + self.ends[-1].nbytes
        if self._held > SPILL_BYTES or self._into is not None:
            self._spill()
        positions = np.empty(len(order), dtype=np.int64)
        positions[order] = self.n_terms + np.cumsum(is_new) - 1
        self.n_terms += len(fresh)
        at = 0
        for k, a, b in taken:
            self.maps[k][a:b] = positions[at:at + b - a]
            at += b - a

    def _spill(self) -> None:
        if self._files is None:     # closed by `table`
            if self._into is None:
                self._files = (tempfile.TemporaryFile(), tempfile.TemporaryFile())  # noqa: SIM115
            else:
                self._files = (self._into[0].open("wb"), self._into[1].open("wb"))  # noqa: SIM115
        for out, arrays in zip(self._files, (self.blobs, self.ends), strict=True):
            for array in arrays:
                out.write(array.data)
        self.blobs, self.ends, self._held = [], [], 0

    def table(self) -> TermTable:
        if self._into is not None:
            self._spill()
            for file in self._files or ():
                file.close()
            self._files = None
            return TermTable(_mapped(self._into[0], np.uint8, self._last_end),
                             _mapped(self._into[1], np.int64, self.n_terms + 1))
        if self._files is None:
            blob = np.concatenate(self.blobs) if self.blobs else np.zeros(0, dtype=np.uint8)
            return TermTable(blob, np.concatenate(self.ends))
        self._spill()
        blob_file, ends_file = self._files
        self._files = None
        with blob_file, ends_file:
            for file in (blob_file, ends_file):
                file.flush()
                file.seek(0)
            return TermTable(np.fromfile(blob_file, dtype=np.uint8),
                             np.fromfile(ends_file, dtype=np.int64))


def _mapped(path: Path, dtype: type, length: int) -> np.ndarray:
    """The `length` values of `dtype` in `path`, mapped read only (an empty file cannot
    be mapped)."""
    if not length:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(length,))


def _joined(ranges: list[tuple[TermTable, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """The terms [a, b) of each table as one blob and offsets (int64)."""
    blobs, lengths = [], []
    for table, a, b in ranges:
        offsets = np.asarray(table.offsets)
        blobs.append(np.asarray(table.blob)[int(offsets[a]):int(offsets[b])])
        lengths.append(np.diff(offsets[a:b + 1]))
    joined = np.zeros(sum(len(x) for x in lengths) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(lengths), out=joined[1:])
    return np.concatenate(blobs).astype(np.uint8, copy=False), joined


def gather_ranges(blob: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The bytes [start, stop) of each range, one after another."""
    lengths = stops - starts
    before = np.cumsum(lengths) - lengths
    return blob[np.repeat(starts - before, lengths) + np.arange(int(lengths.sum()))]


def byte_order(blob: np.ndarray, offsets: np.ndarray, *, in_runs: bool = True
               ) -> tuple[np.ndarray, np.ndarray]:
    """The terms of a blob (term i is blob[offsets[i]:offsets[i + 1]]) in byte order:
    the order (a stable argsort) and, along it, whether each term is the same as the one
    before it. `in_runs`: the terms are sorted runs one after another, as a merge's are
    (numpy's stable sort of whole keys merges the runs); else in no order, and sorted a
    key word at a time (`stable_key_order`: a fifth less time for a chunk's words)."""
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    width = max(1, min(KEY_BYTES, int(lengths.max()) if n else 1))
    width = 8 * -(-width // 8)    # whole words
    words = _key_words(blob, offsets, width)
    keys = words.view(f"S{width}").ravel()
    order = (np.argsort(keys, kind="stable") if in_runs
             else stable_key_order(words.astype(np.uint64)))
    sorted_keys, sorted_lengths = keys[order], lengths[order]
    same_key = sorted_keys[1:] == sorted_keys[:-1]
    # a NUL byte pads a key, so a key tells terms apart only up to `width` bytes, NUL-free
    whole = (sorted_lengths[1:] == sorted_lengths[:-1]) & (sorted_lengths[1:] <= width)
    repeat = np.zeros(n, dtype=bool)
    repeat[1:] = same_key & whole
    unsure = np.flatnonzero(same_key & ~whole)
    if len(unsure):
        _settle_ties(blob, offsets, order, repeat, same_key, unsure)
    return order, repeat


def stable_key_order(keys: np.ndarray) -> np.ndarray:
    """The stable argsort of the rows of `keys` (n x words, uint64) compared word by word:
    the order of `np.argsort` of the keys' bytes as a fixed-width string, `kind="stable"`.

    The first words are sorted alone (an unstable sort of integers, many times faster
    than a stable sort of strings), then only the rows that tie so far are sorted again
    by the next word within their tie, and rows whose whole keys tie by their position."""
    order = np.argsort(keys[:, 0]) if len(keys) else np.zeros(0, dtype=np.int64)
    first = keys[order, 0]
    tied = first[1:] == first[:-1]      # sorted position i ties with i + 1 so far
    for j in range(1, keys.shape[1] + 1):
        if not tied.any():
            break
        in_tie = np.zeros(len(order), dtype=bool)
        in_tie[:-1] |= tied
        in_tie[1:] |= tied
        at = np.flatnonzero(in_tie)
        # each sorted position's tie: how many positions before it start a new one
        group = np.concatenate([[0], np.cumsum(~tied)])[at]
        members = order[at]
        nxt = keys[members, j] if j < keys.shape[1] else members
        order[at] = members[np.lexsort((nxt, group))]
        if j < keys.shape[1]:
            word = keys[order, j]
            tied &= word[1:] == word[:-1]
    return order


def _key_words(blob: np.ndarray, offsets: np.ndarray, width: int) -> np.ndarray:
    """Each term's first `width` bytes, NUL-padded, as rows of `width // 8` big-endian
    words (compared as numbers, or as a fixed-width string, they order as the bytes do):
    read 8 bytes at a time from an unaligned view, the bytes past the term masked off."""
    n, n_words = len(offsets) - 1, -(-width // 8)
    padded = np.zeros(len(blob) + 8 * n_words + 8, dtype=np.uint8)
    padded[:len(blob)] = blob
    words = np.ndarray((len(blob) + 8 * n_words,), dtype=">u8", buffer=padded, strides=(1,))
    starts, lengths = offsets[:-1], np.diff(offsets)
    out = np.empty((n, n_words), dtype=">u8")
    for j in range(n_words):
        kept = np.clip(lengths - 8 * j, 0, 8)
        out[:, j] = words[starts + 8 * j] & _MASKS[kept]
    return out


# _MASKS[k]: a big-endian word's first k bytes
_MASKS = np.array([0] + [((1 << (8 * k)) - 1) << (8 * (8 - k)) for k in range(1, 9)],
                  dtype=np.uint64)


def _settle_ties(blob: np.ndarray, offsets: np.ndarray, order: np.ndarray,
                 repeat: np.ndarray, same_key: np.ndarray, unsure: np.ndarray) -> None:
    """Sort each run of equal keys that holds an unsure pair by the whole terms' bytes,
    in place, and mark the repeats among them."""
    run_of = np.concatenate([[0], np.cumsum(~same_key)])   # sorted position -> its key run
    run_start = np.flatnonzero(np.concatenate([[True], ~same_key]))
    run_stop = np.append(run_start[1:], len(order))
    for run in np.unique(run_of[unsure + 1]).tolist():
        lo, hi = int(run_start[run]), int(run_stop[run])
        members = order[lo:hi].tolist()
        raw = {i: blob[offsets[i]:offsets[i + 1]].tobytes() for i in members}
        members.sort(key=raw.__getitem__)
        order[lo:hi] = members
        repeat[lo + 1:hi] = [raw[a] == raw[b] for a, b in zip(members, members[1:], strict=False)]
