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
  rose. Above 10.83 the change has p < 0.001 under a binomial model: the evidence. With
  thousands of terms tested at once, p < 0.001 alone lists a few by chance, so a list
  needs the Benjamini-Hochberg threshold at a false-discovery rate of 5% when that is
  higher (`significance_threshold`).
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
FALSE_DISCOVERY = 0.05      # share of the listed terms that may have moved by chance
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

    Only the table's cells inside the two windows are touched after one comparison pass:
    their rows come from a binary search in indptr, and a weighted bincount sums them
    (sparse column slicing would copy the matrix; a per-row reduce touches every cell)."""
    cols = np.asarray(counts.indices)
    inside = np.flatnonzero((cols >= windows.baseline_start) & (cols <= windows.ref))
    recent = cols[inside] >= windows.recent_start
    return _sums_by_row(inside, recent, np.asarray(counts.indptr), np.asarray(counts.data))


def posting_sums(postings: np.ndarray, postings_ptr: np.ndarray, in_recent: np.ndarray,
                 in_baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per term: its papers flagged in `in_recent` and in `in_baseline` (booleans per paper),
    for counts restricted to a subset of papers such as one category. Papers are flagged
    1 or 2 in one byte each, so the pass over every posting moves bytes."""
    flags = in_recent.astype(np.int8) + 2 * in_baseline.astype(np.int8)
    hit = flags[np.asarray(postings)]
    inside = np.flatnonzero(hit)
    return _sums_by_row(inside, hit[inside] == 1, np.asarray(postings_ptr), None)


def doc_term_sums(doc_terms: np.ndarray, doc_terms_ptr: np.ndarray, n_terms: int,
                  in_recent: np.ndarray, in_baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`posting_sums` from the postings paper by paper: only the flagged papers' terms are
    read, a small part of all postings for a category."""
    return (_terms_of(doc_terms, doc_terms_ptr, np.flatnonzero(in_recent), n_terms),
            _terms_of(doc_terms, doc_terms_ptr, np.flatnonzero(in_baseline), n_terms))


def _terms_of(doc_terms: np.ndarray, ptr: np.ndarray, docs: np.ndarray, n_terms: int) -> np.ndarray:
    """Papers per term among `docs`."""
    starts, ends = np.asarray(ptr[docs]), np.asarray(ptr[docs + 1])
    lengths = ends - starts
    if not lengths.sum():
        return np.zeros(n_terms)
    # positions of every posting of the docs: each doc's start, then +1 per posting
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    positions = offsets + np.arange(int(lengths.sum()))
    return np.bincount(np.asarray(doc_terms)[positions], minlength=n_terms).astype(np.float64)


def _sums_by_row(positions: np.ndarray, recent: np.ndarray, indptr: np.ndarray,
                 data: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Sums per CSR row of the cells at `positions` (values `data`, or 1 each), split into
    the recent ones and the others."""
    n_rows = len(indptr) - 1
    rows = np.searchsorted(indptr, positions, side="right") - 1
    values = np.ones(len(positions)) if data is None else data[positions].astype(np.float64)
    return (np.bincount(rows[recent], values[recent], minlength=n_rows),
            np.bincount(rows[~recent], values[~recent], minlength=n_rows))


def movement(a: np.ndarray, b: np.ndarray, n_recent: float, n_baseline: float,
             effective: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Signed G² ("llr"), share ratio ("ratio") and conservative log2 ratio ("score") of
    terms in `a` of `n_recent` recent papers and `b` of `n_baseline` baseline papers.

    `b` may be an estimate (the baseline papers expected with the recent mix of
    categories, `recommend.trend_mix`); `effective` is then the number of papers its
    evidence is worth, and the evidence figures (llr, score) scale the baseline to it."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n_recent, n_baseline = max(float(n_recent), 1.0), max(float(n_baseline), 1.0)
    log_ratio = np.log((a + 0.5) / n_recent) - np.log((b + 0.5) / n_baseline)
    scale = np.ones_like(b)
    if effective is not None:
        scale = np.divide(effective, b, out=np.ones_like(b), where=b > 0)
    spread = Z * np.sqrt(1.0 / (a + 0.5) + 1.0 / (b * scale + 0.5))
    score = np.where(log_ratio > 0, np.maximum(log_ratio - spread, 0.0),
                     np.minimum(log_ratio + spread, 0.0)) / np.log(2)
    return {"llr": signed_llr(a, b * scale, n_recent, np.maximum(n_baseline * scale, 1.0)),
            "ratio": np.exp(log_ratio), "score": score}


def significance_threshold(llr: np.ndarray, tested: np.ndarray, q: float = FALSE_DISCOVERY
                           ) -> float:
    """The |G²| a term needs to be listed: SIGNIFICANT_LLR, or more when many terms are
    tested, so that at most a share `q` of the listed terms are expected to have moved by
    chance (Benjamini-Hochberg over the `tested` terms' p-values)."""
    # chi2.sf(x, 1) is chdtrc(1, x); scipy.stats, its only other use, took a worker's
    # first hot list about a second to import (web.DEFERRED_IMPORTS preloads this one)
    from scipy.special import chdtrc

    g2 = np.sort(np.abs(np.asarray(llr)[tested]))[::-1]
    if not len(g2):
        return SIGNIFICANT_LLR
    p = chdtrc(1, g2)                        # chi2.sf(g2, 1): ascending, as g2 descends
    passing = np.flatnonzero(p <= q * np.arange(1, len(p) + 1) / len(p))
    if not len(passing):
        return max(SIGNIFICANT_LLR, float(g2[0]) + 1.0)
    return max(SIGNIFICANT_LLR, float(g2[passing[-1]]))


def signed_llr(a: np.ndarray, b: np.ndarray, n_recent: float,
               n_baseline: float | np.ndarray) -> np.ndarray:
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
