"""Per-user linear models over the index features: a linear SVM and a centroid baseline.

The SVM follows arxiv-sanity: library papers are positives, every other paper a negative,
"not interested" papers hard negatives. Training on all ~100k negatives costs seconds, so
by default a seeded sample of negatives is used, each weighted by (all negatives / sampled)
so the loss approximates the full one (bench/recommend_quality.py shows the ranking stays
within a point of recall@100 of the plain SVM). Pure numpy/scipy/scikit-learn.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

DEFAULT_NEGATIVES = 8000


@dataclass(frozen=True, eq=False)
class LinearModel:
    """score(x) = coef . x + intercept over L2-normalised feature rows."""

    coef: np.ndarray            # float32, one weight per term
    intercept: float
    kind: str                   # "svm" or "centroid"

    def scores(self, matrix: sparse.csr_matrix) -> np.ndarray:
        """Score every row of `matrix` (one sparse matrix-vector product)."""
        return np.asarray(matrix @ self.coef, dtype=np.float32).ravel() + np.float32(self.intercept)


def _rows(values: Sequence[int] | np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(values, dtype=np.int64))


def centroid_model(matrix: sparse.csr_matrix, positives: Sequence[int]) -> LinearModel:
    """Cosine similarity to the normalised mean of the positives: near-free, no training."""
    pos = _rows(positives)
    if pos.size == 0:
        raise ValueError("a model needs at least one positive paper")
    mean = np.asarray(matrix[pos].mean(axis=0), dtype=np.float32).ravel()
    norm = float(np.linalg.norm(mean))
    return LinearModel(mean / norm if norm else mean, 0.0, "centroid")


def training_set(n_rows: int, positives: Sequence[int], hard_negatives: Sequence[int] = (), *,
                 max_negatives: int | None = DEFAULT_NEGATIVES, seed: int = 0, hard_weight: float = 1.0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, labels +1/-1, sample weights) for training.

    Negatives are all rows that are not positives; with `max_negatives` a seeded uniform
    sample of them, weighted up so they stand for all. Hard negatives (papers the user
    marked "not interested") are always in, weighted `hard_weight` or as a sampled
    negative, whichever is more: otherwise, in a store small enough to train on every
    paper, marking one would teach the model nothing it did not already see.
    """
    pos = _rows(positives)
    hard = np.setdiff1d(_rows(hard_negatives), pos)
    others = np.ones(n_rows, dtype=bool)
    others[pos] = False
    others[hard] = False
    pool = np.flatnonzero(others)
    weight = 1.0
    if max_negatives is not None and pool.size > max_negatives:
        rng = np.random.default_rng(seed)
        weight = pool.size / max_negatives
        pool = np.sort(rng.choice(pool, size=max_negatives, replace=False))
    rows = np.concatenate([pos, hard, pool])
    labels = np.concatenate([np.ones(pos.size), -np.ones(hard.size + pool.size)]).astype(np.int8)
    weights = np.concatenate([np.ones(pos.size), np.full(hard.size, max(weight, hard_weight)),
                              np.full(pool.size, weight)])
    return rows, labels, weights


def train_svm(matrix: sparse.csr_matrix, positives: Sequence[int], hard_negatives: Sequence[int] = (),
              *, C: float = 0.005, positive_weight: float = 5.0,
              max_negatives: int | None = DEFAULT_NEGATIVES, seed: int = 0, tol: float = 1e-4,
              max_iter: int = 2000) -> LinearModel:
    """A LinearSVC (liblinear) with the library as positives; see `training_set`.

    `positive_weight` multiplies the positives' weight (class weight); C is the usual
    regularisation. max_negatives=None trains on every paper (arxiv-sanity's way).
    """
    # here, not at the top: scikit-learn takes most of a second to import
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    # a dismissed paper is as deliberate a choice as a saved one: it weighs as a positive does
    rows, labels, weights = training_set(matrix.shape[0], positives, hard_negatives,
                                         max_negatives=max_negatives, seed=seed,
                                         hard_weight=positive_weight)
    if not (labels > 0).any():
        raise ValueError("a model needs at least one positive paper")
    if not (labels < 0).any():
        return centroid_model(matrix, positives)
    weights = np.where(labels > 0, weights * positive_weight, weights)
    svm = LinearSVC(C=C, tol=tol, max_iter=max_iter, dual=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)   # a near-converged ranking is fine
        svm.fit(matrix[rows], labels, sample_weight=weights)
    return LinearModel(np.asarray(svm.coef_[0], dtype=np.float32), float(svm.intercept_[0]), "svm")


def library_terms(matrix: sparse.csr_matrix, positives: Sequence[int]) -> np.ndarray:
    """Columns (terms) present in at least one positive paper, sorted."""
    pos = _rows(positives)
    return np.unique(matrix[pos].indices) if pos.size else np.array([], dtype=np.int64)
