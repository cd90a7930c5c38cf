"""Lexical and dense features together: one linear SVM over TF-IDF ⊕ α·embedding, blended
similar papers, and honest accounts of which half lifted a paper.

The SVM sees each paper as its TF-IDF row with its unit embedding, scaled by α, appended:
the model is a weight per term plus a weight per embedding dimension, so a paper's score
splits exactly into a term part (named by recommend/explain.py) and a vector part (named
by the library paper nearest in meaning). Only the training rows are stacked; scoring
every paper is one sparse and one dense matrix-vector product. Pure numpy/scipy/sklearn.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommend.ann import AnnIndex
from recommend.similar import scores_for, top_k
from recommend.svm import DEFAULT_NEGATIVES, training_set

DEFAULT_ALPHA = 0.5
SCORE_CHUNK = 32_768          # rows of float16 vectors widened to float32 at a time
BLEND_DEPTH = 200             # similar papers with an ANN: candidates from each side
OVER_FETCH = 2.0              # filtered ANN search: fetch k / (allowed share) times this
MAX_FETCH = 4_096             # ... at most this many; beyond, the exact product on the rows
EXACT_BELOW = 20_000          # allowed rows below which the exact product is cheaper anyway


@dataclass(frozen=True, eq=False)
class HybridModel:
    """score = coef . tfidf_row + vec_coef . embedding_row + intercept.

    vec_coef already carries α, so it applies to the stored unit embeddings as they are.
    """

    coef: np.ndarray              # float32 per term
    vec_coef: np.ndarray          # float32 per embedding dimension (times α)
    intercept: float
    kind: str = "svm"

    def scores(self, matrix: sparse.csr_matrix, vectors: np.ndarray) -> np.ndarray:
        lexical = np.asarray(matrix @ self.coef, dtype=np.float32).ravel()
        return lexical + vector_scores(vectors, self.vec_coef) + np.float32(self.intercept)


def vector_scores(vectors: np.ndarray, weights: np.ndarray, chunk: int = SCORE_CHUNK) -> np.ndarray:
    """vectors @ weights in float32, widening a chunk of float16 rows at a time (bounded memory)."""
    weights = np.asarray(weights, dtype=np.float32).ravel()
    if vectors.shape[1] != weights.shape[0]:
        raise ValueError(f"vectors have {vectors.shape[1]} dimensions, weights {weights.shape[0]}")
    if vectors.dtype == np.float32:
        return np.asarray(vectors @ weights, dtype=np.float32)
    out = np.empty(vectors.shape[0], dtype=np.float32)
    for start in range(0, vectors.shape[0], chunk):
        block = np.asarray(vectors[start:start + chunk], dtype=np.float32)
        out[start:start + chunk] = block @ weights
    return out


def stacked_rows(matrix: sparse.csr_matrix, vectors: np.ndarray, rows: np.ndarray, alpha: float
                 ) -> sparse.csr_matrix:
    """The rows' TF-IDF features with α·embedding appended as extra columns."""
    dense = np.asarray(vectors[rows], dtype=np.float32) * np.float32(alpha)
    return sparse.hstack([matrix[rows], sparse.csr_matrix(dense)], format="csr")


def train_hybrid(matrix: sparse.csr_matrix, vectors: np.ndarray, positives: Sequence[int],
                 hard_negatives: Sequence[int] = (), *, alpha: float = DEFAULT_ALPHA,
                 C: float = 0.005, positive_weight: float = 5.0,
                 max_negatives: int | None = DEFAULT_NEGATIVES, seed: int = 0, tol: float = 1e-4,
                 max_iter: int = 2000) -> HybridModel:
    """A LinearSVC over TF-IDF ⊕ α·embedding, trained as `recommend.svm.train_svm` is."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    if vectors.shape[0] != matrix.shape[0]:
        raise ValueError(f"{vectors.shape[0]} vector rows for {matrix.shape[0]} papers")
    rows, labels, weights = training_set(matrix.shape[0], positives, hard_negatives,
                                         max_negatives=max_negatives, seed=seed,
                                         hard_weight=positive_weight)
    if not (labels > 0).any() or not (labels < 0).any():
        raise ValueError("a hybrid model needs positive and negative papers")
    weights = np.where(labels > 0, weights * positive_weight, weights)
    svm = LinearSVC(C=C, tol=tol, max_iter=max_iter, dual=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm.fit(stacked_rows(matrix, vectors, rows, alpha), labels, sample_weight=weights)
    coef = np.asarray(svm.coef_[0], dtype=np.float32)
    n_terms = matrix.shape[1]
    return HybridModel(coef[:n_terms].copy(), coef[n_terms:] * np.float32(alpha),
                       float(svm.intercept_[0]))


def score_parts(matrix: sparse.csr_matrix, vectors: np.ndarray, rows: Sequence[int],
                coef: np.ndarray, vec_coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(term part, vector part) of each row's score: what the words and the meaning added."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    terms = np.asarray(matrix[rows] @ coef, dtype=np.float32).ravel()
    return terms, vector_scores(vectors[rows], vec_coef)


def meaning_drove(term_part: float, vector_part: float) -> bool:
    """Whether the embedding lifted a paper at least as much as its words did."""
    return vector_part > 0 and vector_part >= term_part


def nearest_in_meaning(vectors: np.ndarray, rows: Sequence[int], candidates: Sequence[int]
                       ) -> list[int | None]:
    """For each row, the candidate (a library paper) closest to it by cosine, or None."""
    cand = np.asarray(candidates, dtype=np.int64)
    if cand.size == 0:
        return [None for _ in rows]
    library = np.asarray(vectors[cand], dtype=np.float32)
    out: list[int | None] = []
    for row in rows:
        sims = library @ np.asarray(vectors[int(row)], dtype=np.float32)
        sims[cand == int(row)] = -np.inf
        best = int(np.argmax(sims))
        out.append(int(cand[best]) if np.isfinite(sims[best]) and sims[best] > 0 else None)
    return out


def blended_similar(matrix: sparse.csr_matrix, vectors: np.ndarray | None, row: int, k: int = 10,
                    *, vector_weight: float = 0.5, min_score: float = 0.0, ann: AnnIndex | None = None,
                    lexical_rows: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The k papers nearest `row` by (1 - w)·TF-IDF cosine + w·embedding cosine, best first.

    Without vectors, or when the paper itself has none, this is the TF-IDF cosine alone. With
    an ANN index the embedding cosine is computed only for the candidates: the ANN's nearest
    and the lexical top, BLEND_DEPTH of each (a paper outside both is far down both lists).
    With `lexical_rows` (sorted) the TF-IDF cosine is computed for those rows only, the
    others counting 0: in a large corpus, the papers sharing the paper's heavier terms.
    """
    if not 0 <= row < matrix.shape[0]:
        raise IndexError(f"row {row} out of range for {matrix.shape[0]} rows")
    if lexical_rows is None:
        lexical = scores_for(matrix, matrix[row])
    else:
        lexical = np.zeros(matrix.shape[0], dtype=np.float64)
        lexical[lexical_rows] = scores_for(matrix[lexical_rows], matrix[row])
    query = None if vectors is None else np.asarray(vectors[row], dtype=np.float32)
    if query is None or not query.any():
        return top_k(lexical, k, exclude=(row,), min_score=min_score)
    if ann is None:
        dense = vector_scores(vectors, query)
        blended = (1.0 - vector_weight) * lexical + vector_weight * dense
        return top_k(blended, k, exclude=(row,), min_score=min_score)
    depth = max(BLEND_DEPTH, k + 1)
    near, _ = ann.search(query, depth)
    by_words = (np.argpartition(-lexical, depth - 1)[:depth] if lexical.size > depth
                else np.arange(lexical.size))
    rows = np.union1d(near, by_words).astype(np.int64)
    blended = (1.0 - vector_weight) * lexical[rows] + vector_weight * vector_scores(vectors[rows], query)
    hits = top_k(blended, k, exclude=np.flatnonzero(rows == row), min_score=min_score)
    return [(int(rows[i]), score) for i, score in hits]


def nearest_vectors(vectors: np.ndarray, query: np.ndarray, k: int, *,
                    allowed: np.ndarray | None = None, min_score: float = 0.0,
                    ann: AnnIndex | None = None) -> list[tuple[int, float]]:
    """The k rows with the largest cosine to a unit `query` vector (within `allowed` rows).

    With an ANN index: its nearest rows, over-fetched in proportion to how few rows the
    filter allows and then filtered; when fewer than k survive (and the ANN's list did not
    already run below `min_score`), the exact product over the allowed rows decides.
    """
    if ann is not None:
        found = _ann_nearest(ann, query, k, allowed, min_score)
        if found is not None:
            return found
        rows = None if allowed is None else np.flatnonzero(allowed)
        if rows is not None and rows.size * 4 < len(allowed):    # few rows: score those only
            hits = top_k(vector_scores(vectors[rows], query), k, min_score=min_score)
            return [(int(rows[i]), score) for i, score in hits]
    scores = vector_scores(vectors, query)
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf).astype(np.float32)
    return top_k(scores, k, min_score=min_score)


def _ann_nearest(ann: AnnIndex, query: np.ndarray, k: int, allowed: np.ndarray | None,
                 min_score: float) -> list[tuple[int, float]] | None:
    """The ANN's answer, or None when the exact product must decide: few rows allowed (exact
    is cheap), or fewer than k survive while the ANN's list still scored above `min_score`."""
    share = 1.0
    if allowed is not None:
        count = int(np.count_nonzero(allowed))
        if count < EXACT_BELOW:
            return None
        share = count / len(allowed)
    fetch = min(MAX_FETCH, int(math.ceil(k * OVER_FETCH / share)))
    rows, scores = ann.search(query, fetch)
    keep = scores > min_score
    if allowed is not None:
        keep &= allowed[rows]
    # a full list that ran below min_score in the query's nearest cells: the other cells,
    # farther from the query, are taken to score lower still; a short list (the probed cells
    # held fewer papers) says nothing about the rest
    exhausted = rows.size == fetch and scores[-1] <= min_score
    if np.count_nonzero(keep) < k and not exhausted:
        return None
    kept = rows[keep]
    return [(int(kept[i]), score) for i, score in top_k(scores[keep], k)]
