"""Hot and cooling figures per term over the (term x month) count table.

A term's heat is its highest monthly fraction in the recent window (`WINDOW` months up to
and including the reference month) against its highest in all months before; a term
absent before counts as one paper in an average earlier month. The figures for the
newest month are computed with the index; `recommend.trend_hot` ranks them.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

WINDOW = 12
HEAT = ("recent_max", "before_max", "recent_papers", "before_papers", "ratio")


def newest_heat(counts: sparse.csr_matrix, totals: np.ndarray) -> dict[str, np.ndarray]:
    """Hot/cooling figures for the newest month, computed once with the index (the page's
    default view); other reference months are computed when asked."""
    ref = len(totals) - 1
    start = max(0, ref - WINDOW + 1)
    if start == 0 or not totals[:start].any():
        return {}
    heat = term_heat(counts, totals.astype(np.float64), start, ref)
    return {f"trend_heat_{k}": heat[k].astype(np.float32 if k.endswith(("max", "ratio")) else np.int32)
            for k in HEAT}


def term_heat(counts: sparse.csr_matrix, totals: np.ndarray, start: int, ref: int
              ) -> dict[str, np.ndarray]:
    """Per term: recent/before maxima of monthly fractions, papers in each, and the ratio.

    One pass over the table's cells with segment reductions per row (np.ufunc.reduceat),
    not sparse column slicing, which copies the matrix.
    """
    inv = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    cols, indptr = np.asarray(counts.indices), np.asarray(counts.indptr)
    data = np.asarray(counts.data, dtype=np.float64)
    fractions = data * inv[cols]
    recent = (cols >= start) & (cols <= ref)
    before = cols < start
    floor = 1.0 / totals[:start][totals[:start] > 0].mean()
    recent_max = _per_row(np.maximum, np.where(recent, fractions, 0.0), indptr)
    before_max = _per_row(np.maximum, np.where(before, fractions, 0.0), indptr)
    return {
        "recent_max": recent_max, "before_max": before_max,
        "recent_papers": _per_row(np.add, np.where(recent, data, 0.0), indptr).astype(np.int64),
        "before_papers": _per_row(np.add, np.where(before, data, 0.0), indptr).astype(np.int64),
        "ratio": recent_max / np.maximum(before_max, floor),
    }


def _per_row(ufunc: np.ufunc, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """ufunc reduced over each CSR row's cells (0 for a row without cells)."""
    out = np.zeros(len(indptr) - 1)
    nonempty = indptr[:-1] < indptr[1:]
    if values.size:
        out[nonempty] = ufunc.reduceat(values, indptr[:-1][nonempty])
    return out
