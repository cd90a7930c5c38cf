"""A sorted term table written to two files, read a window of terms at a time.

A full build's term tables outgrow memory (the full texts' vocabulary: 50M terms, 1.2 GB
at 100k papers with 30k full texts), so they are written to the spill directory as a
`TermTable` holds them, its UTF-8 blob and its offsets (as `ndarray.tofile` writes them),
and read back in windows: the term merge reads each run's next terms
(`term_union.merge_terms`), the hashing workers their ranges (`term_hashes`), the
features and trends the terms of a few columns (`take`), the did-you-mean cut every
term in order (`search_surface`). Reads are plain file reads (`index_stream.read_range`):
pages read through a mapping would stay in the process's RSS while it is mapped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommend.index_stream import read_range
from recommend.search_terms import TermTable

# terms (8 bytes of offsets each, and their text) read at a time by `windows` and `take`
WINDOW_TERMS = 1 << 20


@dataclass(frozen=True)
class FileTerms:
    """The `n_terms` sorted terms of a table written to `blob` and `offsets` (int64
    unless `offsets_dtype` says otherwise); picklable, for worker processes."""

    blob: Path
    offsets: Path
    n_terms: int
    offsets_dtype: np.dtype = field(default=np.dtype(np.int64))

    @classmethod
    def write(cls, table: TermTable, blob: Path, offsets: Path) -> FileTerms:
        np.asarray(table.blob, dtype=np.uint8).tofile(blob)
        np.asarray(table.offsets, dtype=np.int64).tofile(offsets)
        return cls(blob, offsets, len(table))

    def __len__(self) -> int:
        return self.n_terms

    def window(self, start: int, stop: int) -> TermTable:
        """Terms [start, stop) as a table of their own (int64 offsets from 0)."""
        ends = read_range(self.offsets, self.offsets_dtype, start, stop + 1)
        ends = ends.astype(np.int64, copy=False)
        blob = read_range(self.blob, np.dtype(np.uint8), int(ends[0]), int(ends[-1]))
        return TermTable(blob, ends - ends[0])

    def windows(self) -> Iterator[tuple[int, TermTable]]:
        """(start, terms [start, start + WINDOW_TERMS)) over the whole table, in order."""
        for start in range(0, self.n_terms, WINDOW_TERMS):
            yield start, self.window(start, min(start + WINDOW_TERMS, self.n_terms))

    def take(self, columns: np.ndarray) -> list[str]:
        """The terms at the increasing `columns`, decoded, read a window of at most
        WINDOW_TERMS terms at a time (no mapping: every page of a mapped table that a
        scattered choice of terms touches stays resident while mapped, most of the
        table when the features take their 100k terms)."""
        columns = np.asarray(columns, dtype=np.int64)
        out: list[str] = []
        lo = 0
        while lo < len(columns):
            first = int(columns[lo])
            hi = max(int(np.searchsorted(columns, first + WINDOW_TERMS)), lo + 1)
            window = self.window(first, int(columns[hi - 1]) + 1)
            blob = bytes(np.asarray(window.blob))
            within = columns[lo:hi] - first
            starts, ends = window.offsets[within].tolist(), window.offsets[within + 1].tolist()
            out.extend(blob[a:b].decode() for a, b in zip(starts, ends, strict=True))
            lo = hi
        return out

    def load(self) -> TermTable:
        """The whole table in memory."""
        return self.window(0, self.n_terms)
