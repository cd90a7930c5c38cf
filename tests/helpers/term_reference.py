"""The term-table code the build used before the numpy merge and the hashing workers:
kept as the reference the faster code must match byte for byte."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from recommend.search_terms import TermTable, term_hash
from recommend.term_files import FileTerms


def merge_terms(tables: Sequence[Sequence[str]]) -> tuple[TermTable, list[np.ndarray]]:
    """The sorted union of sorted, distinct term lists and each list's positions in it,
    by Python's sort of the terms' bytes."""
    tables = [t.load() if isinstance(t, FileTerms) else t for t in tables]   # spilled runs
    raw = [[t.encode() for t in table] if not isinstance(table, TermTable)
           else list(table.iter_raw()) for table in tables]
    union = sorted({t for table in raw for t in table})
    where = {t: i for i, t in enumerate(union)}
    offsets = np.zeros(len(union) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in union], out=offsets[1:])
    blob = np.frombuffer(b"".join(union), dtype=np.uint8) if union else np.zeros(0, np.uint8)
    return TermTable(blob, offsets), [np.array([where[t] for t in table], dtype=np.int64)
                                      for table in raw]


def with_hashes(table: TermTable) -> TermTable:
    """The hash index, a term at a time."""
    hashes = np.fromiter((term_hash(t) for t in table.iter_raw()), dtype=np.int64,
                         count=len(table))
    order = np.argsort(hashes, kind="stable")
    hashes.sort()
    return TermTable(table.blob, table.offsets, hashes, order.astype(np.int64, copy=False))


@contextmanager
def hashing(table: TermTable, workers: int) -> Iterator[Callable[[], TermTable]]:
    yield lambda: with_hashes(table)


def positions_of(vocab: TermTable, other: TermTable) -> np.ndarray:
    """`find_raw` of every term of `other`, one at a time."""
    return np.fromiter((-1 if (at := vocab.find_raw(term)) is None else at
                        for term in other.iter_raw()), dtype=np.int64, count=len(other))
