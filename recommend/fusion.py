"""A user's ranking as a fusion of three views of the library, with pseudo-relevance feedback.

One SVM over TF-IDF ⊕ α·embedding (recommend/hybrid.py) weighs terms well but, trained on a
handful of papers, misses papers that say the same thing in other words; cosine similarity to
the library's centre in the embedding space finds those, with different errors. Their scores
live on different scales, so each is standardised over every paper (z-score) and the three
are added: the SVM, the cosine to the TF-IDF centroid and the cosine to the embedding centroid.
The first fused ranking's top `feedback` papers then join the library, at `feedback_weight`
each, in both centroids (Rocchio's pseudo-relevance feedback): a library of five papers gets
a centre drawn from twenty-five. Measured on the topic collections (docs/semantic.md) this
beats the single hybrid SVM by about 2.5 points of P@10 and 1 of recall@100.

Every part is linear in the features, and so is their standardised sum: the result is one
model, a weight per term plus a weight per embedding dimension, whose score splits exactly
into what the words and what the meaning added (`term_offset` and `vec_offset` are each
part's mean over all papers, so "added" means "above an average paper"). Without vectors the
fusion is the lexical SVM with the TF-IDF centroid at half weight. Pure
numpy/scipy/scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommend.hybrid import DEFAULT_ALPHA, train_hybrid, vector_scores
from recommend.similar import top_k
from recommend.svm import DEFAULT_NEGATIVES, train_svm

DEFAULT_FEEDBACK = 20           # top papers of the first pass taken as pseudo-positives
DEFAULT_FEEDBACK_WEIGHT = 0.5   # each one's weight in the centroids (a library paper weighs 1)
# the TF-IDF centroid's weight in the sum without vectors (the SVM's is 1): at full weight it
# outweighs the SVM's precision (on four draws per topic of the sample: -1.1 points of P@10
# against the SVM alone, -0.4 at half weight, for the same recall; docs/semantic.md). With
# vectors all three weigh 1: at half weight, papers that share the library's words were put
# down to meaning in explanations
LEXICAL_TERM_CENTROID_WEIGHT = 0.5
# feedback papers are at most this share of all papers: in a store of a few hundred, the top
# twenty would be a good part of everything, most of it off the library's topic
FEEDBACK_MAX_SHARE = 0.01


@dataclass(frozen=True, eq=False)
class FusedModel:
    """score = coef . tfidf_row + vec_coef . embedding_row + intercept (vec_coef None: lexical)."""

    coef: np.ndarray                  # float32 per term
    vec_coef: np.ndarray | None       # float32 per embedding dimension
    intercept: float
    term_offset: float = 0.0          # mean over all papers of the term part
    vec_offset: float = 0.0           # mean over all papers of the vector part
    kind: str = "svm"

    def scores(self, matrix: sparse.csr_matrix, vectors: np.ndarray | None = None) -> np.ndarray:
        out = np.asarray(matrix @ self.coef, dtype=np.float32).ravel() + np.float32(self.intercept)
        if self.vec_coef is not None:
            if vectors is None:
                raise ValueError("this model also weighs embeddings: give the vectors")
            out += vector_scores(vectors, self.vec_coef)
        return out


@dataclass(frozen=True, eq=False)
class ScoredPart:
    """One linear scorer and its raw parts over every paper (None: the block is absent)."""

    coef: np.ndarray | None
    vec_coef: np.ndarray | None
    intercept: float
    terms: np.ndarray | None
    meaning: np.ndarray | None
    weight: float = 1.0               # of its z-score in the sum


def scored_part(matrix: sparse.csr_matrix, vectors: np.ndarray | None, coef: np.ndarray | None,
          vec_coef: np.ndarray | None, intercept: float = 0.0, weight: float = 1.0) -> ScoredPart:
    # float32 weights: a float64 vector would make scipy copy the whole matrix to float64
    terms = (None if coef is None
             else np.asarray(matrix @ np.asarray(coef, dtype=np.float32), dtype=np.float64).ravel())
    meaning = None if vec_coef is None else vector_scores(vectors, vec_coef).astype(np.float64)
    return ScoredPart(coef, vec_coef, intercept, terms, meaning, weight)


def standardised_sum(parts: Sequence[ScoredPart], n_terms: int, dim: int | None, kind: str = "svm"
                     ) -> FusedModel:
    """The weighted sum of each part's z-score over every paper, as one linear model.

    A part whose scores are all equal (nothing to tell papers apart) adds nothing.
    """
    coef = np.zeros(n_terms, dtype=np.float64)
    vec_coef = None if dim is None else np.zeros(dim, dtype=np.float64)
    intercept = term_offset = vec_offset = 0.0
    for part in parts:
        raw = sum(p for p in (part.terms, part.meaning) if p is not None) + part.intercept
        spread = float(np.std(raw))
        if not np.isfinite(spread) or spread <= 1e-12 or part.weight == 0:
            continue
        spread /= part.weight           # weight / spread from here on
        intercept += (part.intercept - float(np.mean(raw))) / spread
        if part.coef is not None:
            coef += part.coef / spread
            term_offset += float(np.mean(part.terms)) / spread
        if part.vec_coef is not None and vec_coef is not None:
            vec_coef += part.vec_coef / spread
            vec_offset += float(np.mean(part.meaning)) / spread
    return FusedModel(coef.astype(np.float32), None if vec_coef is None else vec_coef.astype(np.float32),
                      intercept, term_offset, vec_offset, kind)


def zscore_sum(parts: Sequence[ScoredPart]) -> np.ndarray:
    """What `standardised_sum(parts)` scores every paper, from the parts' scores at hand (no
    product over the matrix again)."""
    total: np.ndarray | float = 0.0
    for part in parts:
        raw = sum(p for p in (part.terms, part.meaning) if p is not None) + part.intercept
        spread = float(np.std(raw))
        if np.isfinite(spread) and spread > 1e-12:
            total = total + part.weight * (raw - float(np.mean(raw))) / spread
    return np.asarray(total, dtype=np.float64)


def term_centroid(matrix: sparse.csr_matrix, rows: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """The weighted mean of the rows' TF-IDF features at unit length (None when all are empty)."""
    mean = np.asarray(matrix[rows].T @ weights, dtype=np.float64).ravel()
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def vector_centroid(vectors: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """The weighted mean of the rows' embeddings at unit length; papers without one (zero rows)
    add nothing. None when no row has a vector."""
    mean = np.asarray(vectors[rows], dtype=np.float64).T @ weights
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def feedback_rows(scores: np.ndarray, positives: np.ndarray, excluded: np.ndarray, *,
                  feedback: int = DEFAULT_FEEDBACK, feedback_weight: float = DEFAULT_FEEDBACK_WEIGHT
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(rows, weights): the positives at weight 1 and the `feedback` best-scored other papers
    (never an excluded one, e.g. a dismissed paper; at most FEEDBACK_MAX_SHARE of all papers)
    at `feedback_weight`; ties by row."""
    if feedback < 0 or feedback_weight < 0:
        raise ValueError("feedback papers and their weight must not be negative")
    feedback = min(feedback, int(scores.shape[0] * FEEDBACK_MAX_SHARE))
    taken = [r for r, _ in top_k(scores, feedback, exclude=np.union1d(positives, excluded))]
    rows = np.concatenate([positives, np.asarray(taken, dtype=np.int64)])
    weights = np.concatenate([np.ones(positives.size), np.full(len(taken), float(feedback_weight))])
    return rows, weights


def _centroid_parts(matrix: sparse.csr_matrix, vectors: np.ndarray | None, rows: np.ndarray,
                    weights: np.ndarray) -> list[ScoredPart]:
    parts = []
    words = term_centroid(matrix, rows, weights)
    if words is not None:
        weight = LEXICAL_TERM_CENTROID_WEIGHT if vectors is None else 1.0
        parts.append(scored_part(matrix, vectors, words, None, weight=weight))
    meaning = None if vectors is None else vector_centroid(vectors, rows, weights)
    if meaning is not None:
        parts.append(scored_part(matrix, vectors, None, meaning))
    return parts


def _base_part(matrix: sparse.csr_matrix, vectors: np.ndarray | None, positives: np.ndarray,
               hard_negatives: Sequence[int], *, alpha: float, C: float, positive_weight: float,
               max_negatives: int | None, seed: int) -> tuple[ScoredPart, str]:
    """The SVM: over TF-IDF ⊕ α·embedding with vectors, else over TF-IDF (or, when every
    paper is a positive, the centroid that `train_svm` falls back to)."""
    others = matrix.shape[0] > positives.size
    if vectors is not None and others:
        model = train_hybrid(matrix, vectors, positives, hard_negatives, alpha=alpha, C=C,
                             positive_weight=positive_weight, max_negatives=max_negatives, seed=seed)
        return scored_part(matrix, vectors, model.coef, model.vec_coef, model.intercept), model.kind
    lexical = train_svm(matrix, positives, hard_negatives, C=C, positive_weight=positive_weight,
                        max_negatives=max_negatives, seed=seed)
    return scored_part(matrix, None, lexical.coef, None, lexical.intercept), lexical.kind


def train_fused(matrix: sparse.csr_matrix, vectors: np.ndarray | None, positives: Sequence[int],
                hard_negatives: Sequence[int] = (), *, alpha: float = DEFAULT_ALPHA, C: float = 0.01,
                positive_weight: float = 5.0, feedback: int = DEFAULT_FEEDBACK,
                feedback_weight: float = DEFAULT_FEEDBACK_WEIGHT,
                max_negatives: int | None = DEFAULT_NEGATIVES, seed: int = 0) -> FusedModel:
    """The library's fused model (see the module docstring); `vectors` None or without a
    vector for any paper: lexical. `feedback=0` fuses without pseudo-relevance feedback."""
    pos = np.unique(np.asarray(positives, dtype=np.int64))
    if pos.size == 0:
        raise ValueError("a model needs at least one positive paper")
    if vectors is not None:
        if vectors.shape[0] != matrix.shape[0]:
            raise ValueError(f"{vectors.shape[0]} vector rows for {matrix.shape[0]} papers")
        if not np.any(np.asarray(vectors[pos], dtype=np.float32)):
            vectors = None            # no library paper has a vector yet: nothing to fuse on
    hard = np.unique(np.asarray(hard_negatives, dtype=np.int64))
    base, kind = _base_part(matrix, vectors, pos, hard, alpha=alpha, C=C,
                            positive_weight=positive_weight, max_negatives=max_negatives, seed=seed)
    dim = None if vectors is None else int(vectors.shape[1])
    first = [base, *_centroid_parts(matrix, vectors, pos, np.ones(pos.size))]
    if feedback <= 0:
        return standardised_sum(first, matrix.shape[1], dim, kind)
    rows, weights = feedback_rows(zscore_sum(first), pos, hard, feedback=feedback,
                                  feedback_weight=feedback_weight)
    return standardised_sum([base, *_centroid_parts(matrix, vectors, rows, weights)],
                            matrix.shape[1], dim, kind)
