"""Papers counted per (term, group) cell a block of terms at a time.

The trends count a term's papers per group of papers twice: per month for the trend
table (`trend_build.month_counts`) and per category combination for the generic terms
(`trend_generic`). Both read a (term x paper) postings list and want, for each term, a
count per group, without a product that copies every posting. Here a block of terms'
postings is turned into (term, group) cell numbers and counted with one bincount, so the
memory held is one block's postings and cells.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def cell_counts(postings: np.ndarray, postings_ptr: np.ndarray, group_of: np.ndarray,
                n_groups: int, *, rows: np.ndarray | None = None, max_cells: int,
                max_postings: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """For each block of terms: (a, b, counts), counts the (b - a) x n_groups int64
    papers of terms [a, b) in each group (`group_of`: each paper's group).

    Term i's papers are postings[postings_ptr[i]:postings_ptr[i + 1]] (`postings` may be
    memory-mapped); with `rows` (increasing) the terms are those rows, and a, b count
    among them. A block holds at most `max_cells` cells (one term at least) and, when
    given, about `max_postings` postings (a longer term is a block of its own)."""
    ptr = np.asarray(postings_ptr)
    lengths = np.diff(ptr) if rows is None else ptr[rows + 1] - ptr[rows]
    n_terms = len(lengths)
    terms_per_block = max(1, max_cells // max(n_groups, 1))
    ends = np.cumsum(lengths, dtype=np.int64)
    a = 0
    while a < n_terms:
        b = min(n_terms, a + terms_per_block)
        if max_postings is not None:
            fits = int(np.searchsorted(ends, ends[a] - lengths[a] + max_postings, side="right"))
            b = min(b, max(a + 1, fits))
        if rows is None:
            papers = np.asarray(postings[int(ptr[a]):int(ptr[b])])
        else:
            papers = np.concatenate([np.asarray(postings[ptr[r]:ptr[r + 1]]) for r in rows[a:b]])
        cells = np.repeat(np.arange(b - a, dtype=np.int64) * n_groups, lengths[a:b])
        cells += group_of[papers]
        del papers
        counts = np.bincount(cells, minlength=(b - a) * n_groups)
        del cells
        yield a, b, counts.reshape(b - a, n_groups)
        a = b
