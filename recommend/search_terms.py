"""Sorted string tables for the search index, stored as memory-mappable arrays.

A vocabulary of millions of unigrams and bigrams as a Python dict would take seconds to
load and a private copy in every web worker; as arrays it is mapped, shared and ready.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np

from recommend.row_reads import FileSlices, file_slices

PREFIX = "search_"
# terms decoded at a time from a table's offsets while tables are merged
_DECODE_BATCH = 1 << 16
# `hash_position`: tables up to this size are binary-searched whole (a few pages at most);
# larger ones from the interpolated guess, widening by this many entries (4 KB) at first
_HASH_SCAN_ALL = 4096
_HASH_STEP = 512


def term_hash(key: bytes) -> int:
    """Stable 64-bit hash of a term's UTF-8 bytes (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little", signed=True)


def hash_position(hashes: np.ndarray | FileSlices, h: int) -> int:
    """First position in the sorted int64 `hashes` whose value is >= h (numpy's
    searchsorted, left), reading a few pages of a memory-mapped array, not ~log2(n).

    The hashes are uniform over the 64-bit range, so h's position is close to its share
    of that range times n (within a few times sqrt(n)). The search starts there and
    widens, doubling, until the range brackets h; a binary search over the whole array
    would touch a page at each of its first ~log2(n / 512) steps: on a 14.5M-term
    table, 10 paper pages (200 lookups each) paged in 78 MB of hashes in every worker.
    """
    n = len(hashes)
    if isinstance(hashes, FileSlices):
        return _read_hash_position(hashes, h)
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


def _read_hash_position(hashes: FileSlices, h: int) -> int:
    """`hash_position` over a hashes part read from its file, _HASH_STEP hashes (4 KB) a
    read: interpolation search, each read centred where h falls between the nearest hashes
    known below and above it; a read that does not halve the range is followed by one at
    its middle, so skewed hashes cost at most ~2·log2(n / _HASH_STEP) reads. Uniform
    hashes take 2-3 reads: widening around the first guess as `hash_position` does would
    read ~100 KB of a 49M-term table."""
    lo, hi = 0, len(hashes)       # hashes[:lo] < h <= hashes[hi:]
    below, above = -(1 << 63) - 1, 1 << 63      # hashes[lo - 1] and hashes[hi], or beyond
    halve = False
    while hi - lo > _HASH_STEP:
        centre = (lo + hi) // 2 if halve else \
            lo - 1 + (h - below) * (hi - lo + 1) // (above - below)
        start = min(max(centre - _HASH_STEP // 2, lo), hi - _HASH_STEP)
        window = hashes[start:start + _HASH_STEP]
        at = int(np.searchsorted(window, h))
        if 0 < at < len(window):
            return start + at
        size = hi - lo
        if at == 0:
            hi, above = start, int(window[0])
        else:
            lo, below = start + len(window), int(window[-1])
        halve = (hi - lo) * 2 > size
    return lo + int(np.searchsorted(hashes[lo:hi], h))


class TermTable(Sequence[str]):
    """Sorted strings stored as one UTF-8 byte blob plus offsets.

    `find` looks the term's 64-bit hash up in a sorted hash array (`hash_position`) and
    checks the string; without hashes it binary-searches the strings.
    """

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, hashes: np.ndarray | None = None,
                 hash_pos: np.ndarray | None = None, *, read_files: bool = False) -> None:
        self.blob = blob
        self.offsets = offsets
        self.hashes = hashes
        self.hash_pos = hash_pos
        self.read_files = read_files
        # plain views: slicing a memmap subclass costs microseconds per call
        self._bytes = memoryview(np.asarray(blob).view(np.ndarray)).cast("B")
        self._offsets = np.asarray(offsets).view(np.ndarray)
        # what look-ups index: the arrays, or (read_files) readers of their files
        self._lookup: _LookupParts | None = _LookupParts.of(self) if read_files else None

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

    def with_hashes(self, hashes: np.ndarray | None = None) -> TermTable:
        """This table with its hash index (what `find` looks terms up in); `hashes`: its
        terms' `term_hashes` when the caller has them already."""
        hashes = self.term_hashes() if hashes is None else np.array(hashes, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        hashes.sort()   # in place: the values sorted are the same whichever ties go first
        return TermTable(self.blob, self.offsets, hashes, order.astype(np.int64, copy=False))

    def term_hashes(self) -> np.ndarray:
        """`term_hash` of every term, in table order (int64): the digests of a batch of
        terms joined and read as little-endian integers, no Python int per term."""
        out = np.empty(len(self), dtype=np.int64)
        blake2b = hashlib.blake2b
        for start in range(0, len(self), _DECODE_BATCH):
            stop = min(start + _DECODE_BATCH, len(self))
            digests = b"".join([blake2b(key, digest_size=8).digest()
                                for key in self.raw_range(start, stop)])
            out[start:stop] = np.frombuffer(digests, dtype="<i8")
        return out

    def positions_of(self, other: TermTable) -> np.ndarray:
        """The position in this table (which has its hash index) of every term of `other`,
        -1 where absent: what `find_raw` gives term by term, looked up all at once (the
        hashes searched with numpy, the bytes of each hit compared with numpy)."""
        if self.hashes is None or self.hash_pos is None:
            raise ValueError("positions_of needs this table's hash index (with_hashes)")
        hashes, hash_pos = np.asarray(self.hashes), np.asarray(self.hash_pos)
        out = np.full(len(other), -1, dtype=np.int64)
        if not len(hashes) or not len(other):
            return out
        wanted = other.term_hashes()
        at = np.minimum(np.searchsorted(hashes, wanted), len(hashes) - 1)
        hit = np.flatnonzero(hashes[at] == wanted)
        candidates = hash_pos[at[hit]]
        same = _same_terms(self, candidates, other, hit)
        out[hit[same]] = candidates[same]
        # a 64-bit collision: another term has this hash; find_raw walks the equal hashes
        for i in hit[~same].tolist():
            found = self.find_raw(other.raw(i))
            out[i] = -1 if found is None else found
        return out

    def iter_raw(self) -> Iterator[bytes]:
        """Every term's UTF-8 bytes in order, copied out of the blob a batch of terms at
        a time (never the whole blob at once)."""
        for start in range(0, len(self), _DECODE_BATCH):
            yield from self.raw_range(start, min(start + _DECODE_BATCH, len(self)))

    def raw_range(self, start: int, stop: int) -> list[bytes]:
        """The UTF-8 bytes of terms [start, stop), cut in C (no Python code per term)."""
        if self._lookup is not None:
            offsets = np.asarray(self._lookup.offsets[start:stop + 1])
            if len(offsets) < 2:
                return []
            data = self._lookup.blob[int(offsets[0]):int(offsets[-1])].tobytes()
        else:
            offsets = self._offsets[start:stop + 1]
            if len(offsets) < 2:
                return []
            data = bytes(self._bytes[int(offsets[0]):int(offsets[-1])])
        ends = (offsets - offsets[0]).tolist()
        return list(map(data.__getitem__, map(slice, ends[:-1], ends[1:])))

    def reading_files(self) -> TermTable:
        """This table with its look-ups (`find`, `find_raw`, `raw`, `bisect`, `prefix_range`,
        `raw_range`, indexing) reading the parts' files (`row_reads.FileSlices`), not their
        mappings: a served page's look-ups at scattered positions of tables of millions of
        terms then leave nothing mapped in the process. The whole-table readers
        (`iter_raw`, `term_hashes`, `positions_of`) keep reading the mappings."""
        return TermTable(self.blob, self.offsets, self.hashes, self.hash_pos, read_files=True)

    def __reduce__(self):
        # the memoryview kept for fast slicing cannot be pickled: rebuild it on load
        return _unpickle, (self.blob, self.offsets, self.hashes, self.hash_pos, self.read_files)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.raw(i).decode()

    def raw(self, i: int) -> bytes:
        """The UTF-8 bytes of term i."""
        if self._lookup is not None:
            return self._lookup.raw(i)
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
        hashes, hash_pos = ((self.hashes, self.hash_pos) if self._lookup is None
                            else (self._lookup.hashes, self._lookup.hash_pos))
        h = term_hash(key)
        i = hash_position(hashes, h)
        while i < len(hashes) and hashes[i] == h:  # collisions: check the string
            pos = int(hash_pos[i])
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


class _LookupParts:
    """A table's parts as its look-ups index them: readers of the parts' files where they
    are file-backed memmaps (`row_reads.file_slices`), the arrays themselves otherwise."""

    def __init__(self, blob, offsets, hashes, hash_pos) -> None:
        self.blob, self.offsets, self.hashes, self.hash_pos = blob, offsets, hashes, hash_pos

    @classmethod
    def of(cls, table: TermTable) -> _LookupParts:
        def reader(part: np.ndarray | None):
            return None if part is None else file_slices(np.asarray(part).view(np.ndarray))
        return cls(reader(table.blob), reader(table.offsets), reader(table.hashes),
                   reader(table.hash_pos))

    def raw(self, i: int) -> bytes:
        """The UTF-8 bytes of term i: its two offsets in one read, then its bytes."""
        ends = self.offsets[i:i + 2] if i >= 0 else ()
        start, end = (int(ends[0]), int(ends[1])) if len(ends) == 2 else \
            (int(self.offsets[i]), int(self.offsets[i + 1]))
        return self.blob[start:end].tobytes()


def _unpickle(blob, offsets, hashes, hash_pos, read_files=False) -> TermTable:
    return TermTable(blob, offsets, hashes, hash_pos, read_files=read_files)


def _same_terms(table: TermTable, positions: np.ndarray, other: TermTable,
                other_positions: np.ndarray) -> np.ndarray:
    """Whether table's term at each of `positions` has the same bytes as other's term at
    the matching `other_positions`; compared a batch of terms at a time."""
    same = np.zeros(len(positions), dtype=bool)
    offsets, blob = np.asarray(table.offsets), np.asarray(table.blob)
    other_offsets, other_blob = np.asarray(other.offsets), np.asarray(other.blob)
    for lo in range(0, len(positions), _DECODE_BATCH):
        mine, theirs = positions[lo:lo + _DECODE_BATCH], other_positions[lo:lo + _DECODE_BATCH]
        starts, lengths = offsets[mine], offsets[mine + 1] - offsets[mine]
        other_starts = other_offsets[theirs]
        equal = lengths == other_offsets[theirs + 1] - other_starts
        ends = np.cumsum(np.where(equal, lengths, 0))
        term_of_byte = np.repeat(np.arange(len(mine)), np.where(equal, lengths, 0))
        step = np.arange(int(ends[-1]) if len(ends) else 0) - (ends - np.where(
            equal, lengths, 0))[term_of_byte]
        differs = blob[starts[term_of_byte] + step] != other_blob[other_starts[term_of_byte]
                                                                  + step]
        equal[term_of_byte[differs]] = False
        same[lo:lo + _DECODE_BATCH] = equal
    return same


def _utf8_offsets(text: str, char_offsets: np.ndarray) -> np.ndarray:
    """Offsets into `text` counted in characters, recounted in bytes of its UTF-8 form."""
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    width = 1 + (code_points >= 0x80) + (code_points >= 0x800) + (code_points >= 0x10000)
    bytes_before = np.zeros(len(code_points) + 1, dtype=np.int64)
    np.cumsum(width, out=bytes_before[1:])
    return bytes_before[char_offsets]
