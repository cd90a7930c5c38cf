"""Latent semantic vectors of an index version: search by meaning from the TF-IDF features.

TruncatedSVD (latent semantic analysis) over the index's own TF-IDF matrix gives every paper
a short dense vector in which words that occur in the same papers ("tumour", "lesion",
"segmentation") point the same way, so a plain-words question finds papers that share
few words with it. It is a function of the corpus, fitted with each full index build (on a
seeded sample of rows, so the fit costs the same at any corpus size) and stored beside the
features as two parts: the term directions (terms x dim) and the papers' unit vectors
(papers x dim, float32, read by memory map). Incremental updates keep the directions and
project the new papers through them (recommend/lsa_update.py). A query is projected from its
TF-IDF weights through the rows of its terms alone. docs/semantic.md has the measurements.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from scipy import sparse

from recommend.features import sample_rows
from recommend.hybrid import nearest_vectors

LSA_DIM = 128             # dimensions: docs/semantic.md compares 128 and 256
FIT_DOCS = 20_000         # rows the SVD is fitted on: bounds build time and memory
PROJECT_CHUNK = 20_000    # rows projected at a time
MIN_DIM = 2               # a corpus too small for this many dimensions gets no LSA parts
TERMS_PART, VECTORS_PART = "lsa_terms", "lsa_vectors"
log = logging.getLogger(__name__)


def fit_lsa(matrix: sparse.csr_matrix, dim: int = LSA_DIM, *, fit_docs: int = FIT_DOCS,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """(term directions, terms x dim float32; paper vectors, papers x dim float32 unit rows)
    for a TF-IDF matrix, or None when it is too small for MIN_DIM dimensions."""
    from sklearn.decomposition import TruncatedSVD  # building only: slow to import

    n_docs, n_terms = matrix.shape
    dim = min(dim, n_terms - 1, min(n_docs, fit_docs) - 1)
    if dim < MIN_DIM:
        return None
    rows = sample_rows(n_docs, fit_docs, seed=seed)
    svd = TruncatedSVD(dim, random_state=seed).fit(matrix[rows])
    terms = np.ascontiguousarray(svd.components_.T, dtype=np.float32)
    return terms, project(matrix, terms)


def project(matrix: sparse.csr_matrix, terms: np.ndarray, *, out: np.ndarray | None = None
            ) -> np.ndarray:
    """The unit LSA vectors (float32) of TF-IDF rows through the term directions.

    Each row depends on its own TF-IDF row alone, so rows projected in an incremental
    update equal the rows a build with the same directions gives (recommend/lsa_update.py).
    out: an array of len(matrix) x dim to fill (a slice of a larger one).
    """
    n_docs = matrix.shape[0]
    vectors = np.empty((n_docs, terms.shape[1]), dtype=np.float32) if out is None else out
    for start in range(0, n_docs, PROJECT_CHUNK):
        vectors[start:start + PROJECT_CHUNK] = matrix[start:start + PROJECT_CHUNK] @ terms
    return unit_rows(vectors)


def build_lsa_parts(index: Any, docs: Any = None, *, dim: int = LSA_DIM
                    ) -> dict[str, np.ndarray]:
    """Index builder (see recommend.index.build_index): the LSA parts of the new version,
    none for a corpus too small for them or when dim is 0."""
    if dim <= 0 or index.matrix.shape[0] == 0:
        return {}
    started = time.perf_counter()
    fitted = fit_lsa(index.matrix, dim)
    if fitted is None:
        return {}
    terms, vectors = fitted
    log.info("LSA: %d dimensions for %d papers in %.1f s", terms.shape[1], len(vectors),
             time.perf_counter() - started)
    return {TERMS_PART: terms, VECTORS_PART: vectors}


def has_lsa(index: Any) -> bool:
    parts = getattr(index, "parts", {})
    return TERMS_PART in parts and VECTORS_PART in parts


def query_vector(index: Any, columns: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """A query's unit LSA vector from its TF-IDF columns and weights (None without LSA parts
    or when none of its terms has a direction)."""
    if not has_lsa(index) or not len(columns):
        return None
    terms = index.parts[TERMS_PART]
    vector = np.asarray(weights, dtype=np.float32) @ np.asarray(terms[columns], dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


def nearest_papers(index: Any, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None,
                   min_score: float = 0.0) -> list[tuple[int, float]]:
    """(row, cosine) of the k papers whose LSA vectors are nearest the query's."""
    return nearest_vectors(index.parts[VECTORS_PART], query, k, allowed=allowed, min_score=min_score)


def unit_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=rows, where=norms > 0)
