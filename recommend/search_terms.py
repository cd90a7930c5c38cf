"""Sorted string tables for the search index, stored as memory-mappable arrays.

A vocabulary of millions of unigrams and bigrams as a Python dict would take seconds to
load and a private copy in every web worker; as arrays it is mapped, shared and ready.
"""

from __future__ import annotations

import hashlib
import heapq
from array import array
from collections.abc import Iterator, Sequence
from itertools import pairwise, repeat

import numpy as np

PREFIX = "search_"
# terms decoded at a time from a table's offsets while tables are merged
_DECODE_BATCH = 1 << 16


def term_hash(key: bytes) -> int:
    """Stable 64-bit hash of a term's UTF-8 bytes (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little", signed=True)


class TermTable(Sequence[str]):
    """Sorted strings stored as one UTF-8 byte blob plus offsets.

    `find` looks the term's 64-bit hash up in a sorted hash array (numpy's searchsorted,
    in C) and checks the string; without hashes it binary-searches the strings.
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
            ends = self._offsets[start:start + _DECODE_BATCH + 1].tolist()
            data, first = bytes(self._bytes[ends[0]:ends[-1]]), ends[0]
            yield from (data[a - first:b - first] for a, b in pairwise(ends))

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
        i = int(np.searchsorted(self.hashes, h))
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

    The tables are streamed (a k-way merge of their UTF-8 bytes, which sort as the
    strings do) straight into the union's blob, so no term is held as a Python object
    beyond the batch being decoded."""
    if len(tables) == 1 and isinstance(tables[0], TermTable):
        return tables[0], [np.arange(len(tables[0]), dtype=np.int64)]
    blob, ends = bytearray(), array("q", [0])
    maps = [array("q") for _ in tables]
    last = None
    streams = [zip(_raw_terms(t), repeat(k)) for k, t in enumerate(tables)]
    for term, k in heapq.merge(*streams):
        if term != last:
            blob += term
            ends.append(len(blob))
            last = term
        maps[k].append(len(ends) - 2)
    merged = TermTable(np.frombuffer(blob, dtype=np.uint8),
                       np.frombuffer(ends, dtype=np.int64).copy())
    return merged, [np.frombuffer(m, dtype=np.int64) if m else np.zeros(0, np.int64)
                    for m in maps]


def _raw_terms(terms: Sequence[str]) -> Iterator[bytes]:
    if isinstance(terms, TermTable):
        return terms.iter_raw()
    return (t.encode() for t in terms)
