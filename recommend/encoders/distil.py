"""Distilling a static token table from a sentence encoder: the computation, no I/O.

scripts/distill_static_encoder.py fetches the teacher and calls these in order:
`teacher_token_vectors` (the teacher's mean-pooled output for each token alone, between
[CLS] and [SEP], as model2vec does), `reduce_dimensions` (PCA: centred, so the direction
every token shares drops out, and fewer dimensions), and `sif_weights` from
`token_probabilities` (frequent pieces such as "the" or "##s" count for less in a text's
sum, the smooth inverse frequency weighting of Arora et al. 2017).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

PooledOutput = Callable[[Sequence[Sequence[int]]], np.ndarray]


def teacher_token_vectors(pooled: PooledOutput, n_tokens: int, cls_id: int, sep_id: int, *,
                          batch_size: int = 512, skip: Iterable[int] = ()) -> np.ndarray:
    """(n_tokens, dim) float32: pooled([[CLS, token, SEP], ...]) per token; `skip` rows stay zero."""
    skipped = set(skip)
    todo = [t for t in range(n_tokens) if t not in skipped]
    first = pooled([[cls_id, todo[0], sep_id]])
    out = np.zeros((n_tokens, first.shape[1]), dtype=np.float32)
    for start in range(0, len(todo), batch_size):
        batch = todo[start: start + batch_size]
        out[batch] = pooled([[cls_id, t, sep_id] for t in batch])
    return out


def reduce_dimensions(vectors: np.ndarray, dim: int, *, keep: np.ndarray | None = None) -> np.ndarray:
    """PCA to `dim` components fitted on the rows in `keep` (all by default); float32."""
    from sklearn.decomposition import PCA

    rows = np.arange(len(vectors)) if keep is None else np.flatnonzero(keep)
    pca = PCA(n_components=dim, svd_solver="full").fit(vectors[rows])
    out = np.zeros((len(vectors), dim), dtype=np.float32)
    out[rows] = pca.transform(vectors[rows])
    return out


def token_probabilities(word_frequencies: Iterable[tuple[str, float]],
                        tokenise: Callable[[str], Sequence[int]], n_tokens: int) -> np.ndarray:
    """How often each token occurs in running text, from word frequencies; never zero."""
    mass = np.zeros(n_tokens, dtype=np.float64)
    for word, frequency in word_frequencies:
        for token in tokenise(word):
            mass[token] += frequency
    seen = mass > 0
    # a token never seen in the word list is rarer than the rarest one seen
    mass[~seen] = mass[seen].min() if seen.any() else 1.0
    return mass / mass.sum()


def sif_weights(probabilities: np.ndarray, a: float = 1e-3) -> np.ndarray:
    """a / (a + p): near 1 for rare tokens, small for the most frequent ones."""
    return (a / (a + probabilities)).astype(np.float32)


def common_directions(pooled: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean row, top-k principal directions of the centred rows) of reference text vectors.

    Removing them is the "common component removal" of Arora et al.: what every text shares
    (frequent words, the register of abstracts) otherwise dominates every cosine.
    """
    rows = pooled[pooled.any(axis=1)].astype(np.float64)
    mean = rows.mean(axis=0)
    _, _, directions = np.linalg.svd(rows - mean, full_matrices=False)
    return mean.astype(np.float32), directions[:k].astype(np.float32)
