"""Hot and cooling within fields: a term's baseline share re-weighted to the recent mix
of categories.

A corpus whose mix of categories shifts between the two windows (a category added to
the listings a corpus is drawn from, or one growing faster than the rest) makes every
everyday word of the growing category "hot": "channel", "bound" and "numerical results"
rise with information-theory papers although no information-theory paper uses them
more than before. So a term's recent share is compared with the share it would have
had with its baseline share in every primary category and the recent mix of categories
(direct standardisation): expected = sum over categories s of mix_s x (baseline papers
with the term in s / baseline papers in s).

The mix is the baseline mix grown by how much each category grew relative to the
others *among the papers without the term*: a category that grew because of the term
("gaussian splatting" filling cs.GR) is the term's trend, not a shift of the mix, and
the term stays hot; a word that only rode its category's growth falls out, with the
category filter or without it. With a single category the figures are those of the
papers counted as one.

Strata are the primary categories with at least `MIN_STRATUM_PAPERS` papers in each
window; the smaller ones are pooled into one stratum, and papers of a stratum missing
from one window are left out (nothing to compare them with). The expected share is
estimated from each stratum's baseline papers, so its evidence is that of `effective`
papers, e^2 / Var(e), which the evidence figures use. Only terms that moved with
evidence over all papers are judged again (the candidates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_STRATUM_PAPERS = 10


@dataclass(frozen=True)
class MixCounts:
    """Per candidate term: recent papers (compared strata), the baseline papers expected
    with the recent mix, and the papers that expectation is worth; the compared totals."""

    recent: np.ndarray
    baseline: np.ndarray
    effective: np.ndarray
    n_recent: float
    n_baseline: float


def mix_counts(postings: np.ndarray, postings_ptr: np.ndarray, rows: np.ndarray,
               primary: np.ndarray, in_recent: np.ndarray, in_baseline: np.ndarray) -> MixCounts:
    """Category-mix adjusted counts of the terms `rows` (see the module doc)."""
    stratum = _strata(primary, in_recent, in_baseline)
    n_strata = int(stratum.max()) + 1 if len(stratum) else 1
    size_recent = np.bincount(stratum[in_recent], minlength=n_strata).astype(np.float64)
    size_base = np.bincount(stratum[in_baseline], minlength=n_strata).astype(np.float64)
    compared = (size_recent > 0) & (size_base > 0)
    size_recent, size_base = size_recent * compared, size_base * compared
    term_recent, term_base = _per_stratum(postings, postings_ptr, rows, stratum, n_strata,
                                          in_recent & compared[stratum],
                                          in_baseline & compared[stratum])
    n_recent, n_base = float(size_recent.sum()), float(size_base.sum())
    # how much each category grew relative to the others, among the papers without the
    # term (half a paper added, so a category the term fills has a finite growth)
    rest_recent = np.maximum(size_recent - term_recent, 0.0) + 0.5 * compared
    rest_base = np.maximum(size_base - term_base, 0.0) + 0.5 * compared
    growth = np.divide(rest_recent / rest_recent.sum(axis=1, keepdims=True),
                       rest_base / rest_base.sum(axis=1, keepdims=True),
                       out=np.zeros_like(rest_recent), where=rest_base > 0)
    mix = size_base / max(n_base, 1.0) * growth                # the baseline mix, grown
    mix /= np.maximum(mix.sum(axis=1, keepdims=True), 1e-12)
    share = np.divide(term_base, size_base, out=np.zeros_like(term_base), where=size_base > 0)
    expected = (mix * share).sum(axis=1)
    # a share seen as 0 in a few papers is not known to be 0: one paper at the term's share
    # over all categories added keeps a small category's estimate uncertain
    overall = term_base.sum(axis=1, keepdims=True) / max(n_base, 1.0)
    held = (term_base + overall) / (size_base + 1.0)
    variance = (mix ** 2 * np.divide(held * (1 - held), size_base, out=np.zeros_like(share),
                                     where=size_base > 0)).sum(axis=1)
    effective = np.divide(expected ** 2, variance, out=term_base.sum(axis=1), where=variance > 0)
    return MixCounts(term_recent.sum(axis=1), expected * n_base, effective, n_recent, n_base)


def _per_stratum(postings: np.ndarray, ptr: np.ndarray, rows: np.ndarray, stratum: np.ndarray,
                 n_strata: int, in_recent: np.ndarray, in_baseline: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(rows x strata) papers holding each term, in the recent and the baseline window."""
    starts, ends = np.asarray(ptr[rows]), np.asarray(ptr[rows + 1])
    lengths = ends - starts
    total = int(lengths.sum())
    shape = (len(rows), n_strata)
    if not total:
        return np.zeros(shape), np.zeros(shape)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    docs = np.asarray(postings)[offsets + np.arange(total)]
    owner = np.repeat(np.arange(len(rows)), lengths)
    cell = owner * n_strata + stratum[docs]
    size = len(rows) * n_strata
    recent = np.bincount(cell[in_recent[docs]], minlength=size).reshape(shape)
    base = np.bincount(cell[in_baseline[docs]], minlength=size).reshape(shape)
    return recent.astype(np.float64), base.astype(np.float64)


def _strata(primary: np.ndarray, in_recent: np.ndarray, in_baseline: np.ndarray) -> np.ndarray:
    """Stratum per paper: its primary category if that has `MIN_STRATUM_PAPERS` papers
    in both windows, else the pooled stratum 0 (papers without a category too)."""
    cat = np.asarray(primary, dtype=np.int64) + 1             # -1 (none) -> 0
    size = int(cat.max()) + 1 if len(cat) else 1
    recent = np.bincount(cat[in_recent], minlength=size)
    base = np.bincount(cat[in_baseline], minlength=size)
    own = (recent >= MIN_STRATUM_PAPERS) & (base >= MIN_STRATUM_PAPERS)
    own[0] = False
    number = np.cumsum(own) * own                              # 1.. for own strata, 0 pooled
    return number[cat]
