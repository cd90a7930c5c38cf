"""Which months hot and cooling terms compare, and how strongly a term moved between them.

A recent window (the newest months up to the reference month) is compared with a
baseline window of the months just before it. Both are sized from the span the index
holds, so fourteen months of papers are read as "the last 3 months against the 11
before", not as a 12-month window with 2 months of history:

    months up to the reference month   recent   baseline
    18 or more                         6        up to 12
    9 .. 17                            3        up to 12
    3 .. 8                             1        the rest
    fewer                              -        (no comparison)

A term's movement is judged on papers, pooled over each window: `a` of the `n_recent`
papers in the recent window contain it, `b` of the `n_baseline` in the baseline. Three
figures come of that:

- ``llr``: Dunning's log-likelihood ratio (G²) of the 2x2 table, signed + when the share
  rose. Above 10.83 the change has p < 0.001 under a binomial model: the evidence.
- ``ratio``: recent share / baseline share, with half a paper added to both counts so a
  new term has a finite ratio. Shown to people.
- ``score``: the ranking key, a conservative log2 ratio: the end of the ratio's 95%
  interval nearest to 1 (0 when the interval holds 1). A term in 3 papers cannot outrank
  one in 300 with the same ratio, and a frequent word whose share barely moved scores
  about 0 however significant its tiny change is, where G² alone would rank it first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

MAX_BASELINE = 12
SIGNIFICANT_LLR = 10.83     # chi-squared with one degree of freedom, p = 0.001
Z = 1.96                    # the 95% interval of the log ratio
# recent-window length by months available (first match), baseline up to MAX_BASELINE
RECENT_BY_SPAN = ((18, 6), (9, 3), (3, 1))


@dataclass(frozen=True)
class Windows:
    """Columns of the trend table: baseline [baseline_start, recent_start), recent
    [recent_start, ref]."""

    baseline_start: int
    recent_start: int
    ref: int

    @property
    def recent_months(self) -> int:
        return self.ref - self.recent_start + 1

    @property
    def baseline_months(self) -> int:
        return self.recent_start - self.baseline_start


def choose_windows(ref: int, *, recent: int | None = None, baseline: int | None = None
                   ) -> Windows | None:
    """Windows ending at column `ref` (months 0..ref are available); None when there are
    too few months to compare. `recent` and `baseline` override the lengths chosen."""
    span = ref + 1
    if recent is None:
        recent = next((r for least, r in RECENT_BY_SPAN if span >= least), 0)
    if recent < 1 or span - recent < 1:
        return None
    baseline = min(baseline or MAX_BASELINE, span - recent)
    return Windows(ref - recent - baseline + 1, ref - recent + 1, ref)


def window_sums(counts: sparse.csr_matrix, windows: Windows) -> tuple[np.ndarray, np.ndarray]:
    """Per term (row): papers in the recent window and in the baseline window.

    One pass over the table's cells with a segment sum per row (np.add.reduceat), not
    sparse column slicing, which copies the matrix."""
    cols, indptr = np.asarray(counts.indices), np.asarray(counts.indptr)
    data = np.asarray(counts.data, dtype=np.float64)
    recent = (cols >= windows.recent_start) & (cols <= windows.ref)
    base = (cols >= windows.baseline_start) & (cols < windows.recent_start)
    return _row_sums(np.where(recent, data, 0.0), indptr), _row_sums(np.where(base, data, 0.0), indptr)


def posting_sums(postings: np.ndarray, postings_ptr: np.ndarray, in_recent: np.ndarray,
                 in_baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per term: its papers flagged in `in_recent` and in `in_baseline` (booleans per paper),
    for counts restricted to a subset of papers such as one category."""
    ptr = np.asarray(postings_ptr)
    flags = in_recent.astype(np.int8) + 2 * in_baseline.astype(np.int8)
    hit = flags[np.asarray(postings)]
    return _row_sums((hit == 1).astype(np.float64), ptr), _row_sums((hit == 2).astype(np.float64), ptr)


def _row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    out = np.zeros(len(indptr) - 1)
    nonempty = indptr[:-1] < indptr[1:]
    if values.size:
        out[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty])
    return out


def movement(a: np.ndarray, b: np.ndarray, n_recent: float, n_baseline: float
             ) -> dict[str, np.ndarray]:
    """Signed G² ("llr"), share ratio ("ratio") and conservative log2 ratio ("score") of
    terms in `a` of `n_recent` recent papers and `b` of `n_baseline` baseline papers."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n_recent, n_baseline = max(float(n_recent), 1.0), max(float(n_baseline), 1.0)
    log_ratio = np.log((a + 0.5) / n_recent) - np.log((b + 0.5) / n_baseline)
    spread = Z * np.sqrt(1.0 / (a + 0.5) + 1.0 / (b + 0.5))
    score = np.where(log_ratio > 0, np.maximum(log_ratio - spread, 0.0),
                     np.minimum(log_ratio + spread, 0.0)) / np.log(2)
    return {"llr": signed_llr(a, b, n_recent, n_baseline), "ratio": np.exp(log_ratio),
            "score": score}


def signed_llr(a: np.ndarray, b: np.ndarray, n_recent: float, n_baseline: float) -> np.ndarray:
    """Dunning's G² for (a of n_recent) against (b of n_baseline), + where the share rose."""
    total = n_recent + n_baseline
    hits = a + b
    g2 = 2.0 * (_xlogx_over(a, hits * n_recent / total)
                + _xlogx_over(b, hits * n_baseline / total)
                + _xlogx_over(n_recent - a, (total - hits) * n_recent / total)
                + _xlogx_over(n_baseline - b, (total - hits) * n_baseline / total))
    return np.sign(a / n_recent - b / n_baseline) * np.maximum(g2, 0.0)


def _xlogx_over(x: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """x log(x / expected), 0 where x is 0."""
    x = np.asarray(x, dtype=np.float64)
    safe = np.where(x > 0, x / np.where(expected > 0, expected, 1.0), 1.0)
    return np.where(x > 0, x * np.log(safe), 0.0)
