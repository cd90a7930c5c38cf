"""The hash index of a large term table, its hashes computed in worker processes.

A term's hash (`search_terms.term_hash`, BLAKE2b) costs Python a few hundred nanoseconds;
the full build's vocabulary holds tens of millions of terms, and hashing them one after
another in the build's process took about a fifth of the text matrix stage. The table is
cut into ranges of HASH_TASK_TERMS terms, hashed by worker processes while the caller
goes on with other work (the count matrix), and the index is made when it asks for it.
The hashes are the same whoever computes them, so the index is the same too.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from recommend.search_terms import TermTable
from recommend.term_files import FileTerms

# terms hashed per task (a task's bytes are pickled to the worker: ~15 MB)
HASH_TASK_TERMS = 1 << 20
# below this many terms the table is hashed in the calling process
PARALLEL_MIN_TERMS = 1 << 21


def range_hashes(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """`term_hashes` of the terms cut from `blob` by `offsets` (which need not start at
    0): runs in a worker process (top level, picklable)."""
    return TermTable(blob, offsets - offsets[0]).term_hashes()


@contextmanager
def hashing(table: TermTable, workers: int) -> Iterator[Callable[[], TermTable]]:
    """Start hashing `table` in `workers` processes (or, for a small table or one
    worker, when asked); yields a function that waits and returns the table with its
    hash index (`TermTable.with_hashes`)."""
    n = len(table)
    if workers <= 1 or n < PARALLEL_MIN_TERMS:
        yield table.with_hashes
        return
    blob, offsets = np.asarray(table.blob), np.asarray(table.offsets)
    # spawn: a fresh interpreter, safe even when the caller runs threads
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(range_hashes, blob[offsets[a]:offsets[b]], offsets[a:b + 1])
                   for a, b in _ranges(n)]
        try:
            yield lambda: table.with_hashes(np.concatenate([f.result() for f in futures]))
        finally:
            for future in futures:
                future.cancel()


def _ranges(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, HASH_TASK_TERMS):
        yield start, min(start + HASH_TASK_TERMS, n)


def file_range_hashes(terms: FileTerms, start: int, stop: int) -> np.ndarray:
    """`term_hashes` of terms [start, stop) of a table written to files: runs in a worker
    process."""
    return terms.window(start, stop).term_hashes()


def file_hash_index(terms: FileTerms, workers: int) -> tuple[np.ndarray, np.ndarray]:
    """The hash index (sorted hashes, and each one's term position, both int64) of a
    sorted table written to two files, as `TermTable.with_hashes` makes it: the terms
    hashed by `workers` processes, each reading its range of the files."""
    hashes = np.empty(len(terms), dtype=np.int64)
    ranges = list(_ranges(len(terms)))
    args = (repeat(terms), [a for a, _ in ranges], [b for _, b in ranges])
    if workers <= 1 or len(terms) < PARALLEL_MIN_TERMS:
        for (a, b), values in zip(ranges, map(file_range_hashes, *args), strict=True):
            hashes[a:b] = values
    else:
        with ProcessPoolExecutor(workers,
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            for (a, b), values in zip(ranges, pool.map(file_range_hashes, *args),
                                      strict=True):
                hashes[a:b] = values
    order = np.argsort(hashes, kind="stable")
    hashes.sort()   # as `TermTable.with_hashes` makes the index
    return hashes, order.astype(np.int64, copy=False)


@dataclass(frozen=True)
class HashIndex:
    """The hash index of a sorted term table written to files: what `TermTable.with_hashes`
    adds (hashes sorted, and each one's term position), without the table in memory.

    The full texts' vocabulary (50M terms at 100k papers with 30k full texts) cost 25
    bytes a term loaded to be hashed, beside the index; here the terms are hashed by
    worker processes reading their ranges of the files, and `positions_of` reads only the
    terms its hashes hit (`take`: the terms at increasing positions, decoded)."""

    hashes: np.ndarray
    hash_pos: np.ndarray
    take: Callable[[np.ndarray], list[str]]

    @classmethod
    def of_files(cls, terms: FileTerms, workers: int) -> HashIndex:
        return cls(*file_hash_index(terms, workers), terms.take)

    def __len__(self) -> int:
        return len(self.hashes)

    def positions_of(self, other: TermTable) -> np.ndarray:
        """`TermTable.positions_of`: the position of every term of `other`, -1 where absent
        (equal hashes tried in order, as `find_raw` tries them)."""
        out = np.full(len(other), -1, dtype=np.int64)
        if not len(self.hashes) or not len(other):
            return out
        wanted = other.term_hashes()
        first = np.searchsorted(self.hashes, wanted)
        mine = list(other)
        pending, step = np.arange(len(other)), 0
        while len(pending):
            at = first[pending] + step
            inside = at < len(self.hashes)
            pending, at = pending[inside], at[inside]
            equal = self.hashes[at] == wanted[pending]
            pending, at = pending[equal], at[equal]
            candidates = self.hash_pos[at]
            order = np.argsort(candidates, kind="stable")
            pending, candidates = pending[order], candidates[order]
            found = self.take(candidates)
            same = np.fromiter((found[j] == mine[i] for j, i in enumerate(pending.tolist())),
                               dtype=bool, count=len(pending))
            out[pending[same]] = candidates[same]
            pending, step = pending[~same], step + 1
        return out
