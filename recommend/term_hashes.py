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

import numpy as np

from recommend.search_terms import TermTable

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
