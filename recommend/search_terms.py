"""Sorted string tables for the search index, stored as memory-mappable arrays.

A vocabulary of millions of unigrams and bigrams as a Python dict would take seconds to
load and a private copy in every web worker; as arrays it is mapped, shared and ready.
"""

from __future__ import annotations

import hashlib
import operator
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import compress

import numpy as np

PREFIX = "search_"
# terms decoded at a time from a table's offsets while tables are merged
_DECODE_BATCH = 1 << 16
# terms held as Python objects at once, over all tables, while tables are merged
MERGE_HELD = 1 << 16
# `hash_position`: tables up to this size are binary-searched whole (a few pages at most);
# larger ones from the interpolated guess, widening by this many entries (4 KB) at first
_HASH_SCAN_ALL = 4096
_HASH_STEP = 512


def term_hash(key: bytes) -> int:
    """Stable 64-bit hash of a term's UTF-8 bytes (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little", signed=True)


def hash_position(hashes: np.ndarray, h: int) -> int:
    """First position in the sorted int64 `hashes` whose value is >= h (numpy's
    searchsorted, left), reading a few pages of a memory-mapped array, not ~log2(n).

    The hashes are uniform over the 64-bit range, so h's position is close to its share
    of that range times n (within a few times sqrt(n)). The search starts there and
    widens, doubling, until the range brackets h; a binary search over the whole array
    would touch a page at each of its first ~log2(n / 512) steps: on a 14.5M-term
    table, 10 paper pages (200 lookups each) paged in 78 MB of hashes in every worker.
    """
    n = len(hashes)
    if n <= _HASH_SCAN_ALL:
        return int(np.searchsorted(hashes, h))
    guess = min(n - 1, ((h + (1 << 63)) * n) >> 64)
    lo, width = guess, _HASH_STEP
    while lo > 0 and hashes[lo] >= h:
        lo, width = max(0, lo - width), width * 2
    hi, width = guess + 1, _HASH_STEP
    while hi < n and hashes[hi - 1] < h:
        hi, width = min(n, hi + width), width * 2
    return lo + int(np.searchsorted(hashes[lo:hi], h))


class TermTable(Sequence[str]):
    """Sorted strings stored as one UTF-8 byte blob plus offsets.

    `find` looks the term's 64-bit hash up in a sorted hash array (`hash_position`) and
    checks the string; without hashes it binary-searches the strings.
    """

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, hashes: np.ndarray | None = None,
                 hash_pos: np.ndarray | None = None) -> None:
        self.blob = blob
        self.offsets = offsets
        self.hashes = hashes
        self.hash_pos = hash_pos
        # plain views: slicing a memmap subclass costs microseconds per call
        self._bytes = memoryview(np.asarray(blob).view(np.ndarray)).cast("B")
        self._offsets = np.asarray(offsets).view(np.ndarray)

    @classmethod
    def pack(cls, terms: Sequence[str]) -> TermTable:
        """A table of `terms`, which must already be sorted."""
        return cls.unhashed(terms).with_hashes()

    @classmethod
    def unhashed(cls, terms: Sequence[str]) -> TermTable:
        """A table of sorted `terms` without the hash index (`find` bisects)."""
        joined = "".join(terms)
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, terms), np.int64, len(terms)), out=offsets[1:])
        if not joined.isascii():    # character offsets -> UTF-8 byte offsets
            offsets = _utf8_offsets(joined, offsets)
        blob = np.frombuffer(joined.encode(), dtype=np.uint8) if terms else np.zeros(0, np.uint8)
        return cls(blob, offsets)

    def with_hashes(self) -> TermTable:
        """This table with its hash index (what `find` looks terms up in)."""
        hashes = np.fromiter((term_hash(t) for t in self.iter_raw()), dtype=np.int64,
                             count=len(self))
        order = np.argsort(hashes, kind="stable")
        hashes.sort()   # in place: the values sorted are the same whichever ties go first
        return TermTable(self.blob, self.offsets, hashes, order.astype(np.int64, copy=False))

    def iter_raw(self) -> Iterator[bytes]:
        """Every term's UTF-8 bytes in order, copied out of the blob a batch of terms at
        a time (never the whole blob at once)."""
        for start in range(0, len(self), _DECODE_BATCH):
            yield from self.raw_range(start, min(start + _DECODE_BATCH, len(self)))

    def raw_range(self, start: int, stop: int) -> list[bytes]:
        """The UTF-8 bytes of terms [start, stop), cut in C (no Python code per term)."""
        offsets = self._offsets[start:stop + 1]
        if len(offsets) < 2:
            return []
        data = bytes(self._bytes[int(offsets[0]):int(offsets[-1])])
        ends = (offsets - offsets[0]).tolist()
        return list(map(data.__getitem__, map(slice, ends[:-1], ends[1:])))

    def __reduce__(self):
        # the memoryview kept for fast slicing cannot be pickled: rebuild it on load
        return TermTable, (self.blob, self.offsets, self.hashes, self.hash_pos)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.raw(i).decode()

    def raw(self, i: int) -> bytes:
        """The UTF-8 bytes of term i."""
        return bytes(self._bytes[int(self._offsets[i]):int(self._offsets[i + 1])])


    def bisect(self, key: bytes, lo: int = 0, hi: int | None = None) -> int:
        """First position in [lo, hi) whose UTF-8 bytes are >= key (byte order is
        code-point order)."""
        hi = len(self) if hi is None else hi
        while lo < hi:
            mid = (lo + hi) // 2
            if self.raw(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo


    def find(self, term: str) -> int | None:
        """Position of `term`, or None."""
        return self.find_raw(term.encode())

    def find_raw(self, key: bytes) -> int | None:
        """Position of the term with these UTF-8 bytes, or None."""
        if self.hashes is None:
            i = self.bisect(key)
            return i if i < len(self) and self.raw(i) == key else None
        h = term_hash(key)
        i = hash_position(self.hashes, h)
        while i < len(self.hashes) and self.hashes[i] == h:  # collisions: check the string
            pos = int(self.hash_pos[i])
            if self.raw(pos) == key:
                return pos
            i += 1
        return None

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """[lo, hi) of the terms starting with `prefix`."""
        return self.bisect(prefix.encode()), self.bisect((prefix + "\U0010ffff").encode())

    def parts(self, name: str) -> dict[str, np.ndarray]:
        out = {f"{PREFIX}{name}_blob": self.blob, f"{PREFIX}{name}_offsets": self.offsets}
        if self.hashes is not None:
            out.update({f"{PREFIX}{name}_hash": self.hashes, f"{PREFIX}{name}_hash_pos": self.hash_pos})
        return out


def _utf8_offsets(text: str, char_offsets: np.ndarray) -> np.ndarray:
    """Offsets into `text` counted in characters, recounted in bytes of its UTF-8 form."""
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    width = 1 + (code_points >= 0x80) + (code_points >= 0x800) + (code_points >= 0x10000)
    bytes_before = np.zeros(len(code_points) + 1, dtype=np.int64)
    np.cumsum(width, out=bytes_before[1:])
    return bytes_before[char_offsets]


def merge_terms(tables: Sequence[Sequence[str]]) -> tuple[TermTable, list[np.ndarray]]:
    """The sorted union of sorted, distinct term lists (lists of str or `TermTable`s),
    without a hash index, and each list's positions in it (int64).

    The tables are streamed (their UTF-8 bytes sort as the strings do) straight into the
    union's blob, a round at a time: each table holds its next terms (MERGE_HELD terms over
    all tables); every held term up to the smallest last held term of a table not yet
    exhausted can go out, and those are sorted together by Python's sort, which merges
    sorted runs in C. So no more terms are held as Python objects at once than that."""
    if len(tables) == 1 and isinstance(tables[0], TermTable):
        return tables[0], [np.arange(len(tables[0]), dtype=np.int64)]
    batch = max(1024, min(1 << 16, MERGE_HELD // max(len(tables), 1)))
    merged = _Union([len(t) for t in tables])
    read = [0] * len(tables)
    held: list[list[bytes]] = [[] for _ in tables]
    exhausted = [False] * len(tables)
    while True:
        for k, table in enumerate(tables):
            if not exhausted[k] and len(held[k]) < batch:
                stop = min(len(table), read[k] + batch - len(held[k]))
                held[k] += _raw_range(table, read[k], stop)
                read[k] = stop
                exhausted[k] = stop == len(table)
        if not any(held):
            break
        open_ends = [h[-1] for h, done in zip(held, exhausted, strict=True) if h and not done]
        frontier = min(open_ends) if open_ends else None
        cuts = [len(h) if frontier is None else bisect_right(h, frontier) for h in held]
        merged.add([h[:cut] for h, cut in zip(held, cuts, strict=True)])
        held = [h[cut:] for h, cut in zip(held, cuts, strict=True)]
    return merged.table(), merged.maps


class _Union:
    """The merged table being written, and each input table's positions in it."""

    def __init__(self, sizes: list[int]) -> None:
        self.blob, self.ends = bytearray(), array("q", [0])
        self.maps = [np.empty(n, dtype=np.int64) for n in sizes]
        self._filled = [0] * len(sizes)
        self._last: bytes | None = None

    def add(self, parts: list[list[bytes]]) -> None:
        """Add each table's next terms; every one sorts after those added before."""
        terms = [t for part in parts for t in part]
        if not terms:
            return
        order = sorted(range(len(terms)), key=terms.__getitem__)  # merges the sorted parts
        in_order = [terms[i] for i in order]
        is_new = np.fromiter(map(operator.ne, in_order, [self._last, *in_order[:-1]]),
                             dtype=bool, count=len(in_order))
        fresh = list(compress(in_order, is_new))
        first = len(self.ends) - 1
        self.blob += b"".join(fresh)
        lengths = np.fromiter(map(len, fresh), dtype=np.int64, count=len(fresh))
        self.ends.extend((self.ends[-1] + np.cumsum(lengths)).tolist())
        positions = np.empty(len(terms), dtype=np.int64)
        positions[order] = first + np.cumsum(is_new) - 1
        start = 0
        for k, part in enumerate(parts):
            filled = self._filled[k]
            self.maps[k][filled:filled + len(part)] = positions[start:start + len(part)]
            self._filled[k] += len(part)
            start += len(part)
        self._last = in_order[-1]

    def table(self) -> TermTable:
        return TermTable(np.frombuffer(self.blob, dtype=np.uint8),
                         np.frombuffer(self.ends, dtype=np.int64).copy())


def _raw_range(terms: Sequence[str], start: int, stop: int) -> list[bytes]:
    if isinstance(terms, TermTable):
        return terms.raw_range(start, stop)
    return [t.encode() for t in terms[start:stop]]
