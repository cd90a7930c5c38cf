"""Why a paper was recommended: the terms contributing most to its score.

A linear model's score is a sum over the paper's terms of weight × feature value, so the
largest positive products are an exact account of what lifted the paper. Only terms the
paper shares with the library are shown, so every reason is something the user saved.
`explain_folded` names each topic once: "graph, graph neural, neural networks, networks,
neural" is one reason, "graph neural networks", as in the trend lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from recommend.trend_fold import fold_words

# raw terms read per reason shown: a topic's variants take several of the top terms
FOLD_POOL = 4


def top_terms(matrix: sparse.csr_matrix, row: int, coef: np.ndarray, allowed: np.ndarray,
              vocabulary: np.ndarray, n: int = 5) -> list[tuple[str, float]]:
    """(term, contribution) pairs of one row, largest first, limited to `allowed` terms.

    `allowed` is a boolean mask over the vocabulary or an array of column numbers.
    """
    allowed = term_mask(allowed, len(coef))
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    cols = np.asarray(matrix.indices[start:end])
    contrib = np.asarray(matrix.data[start:end], dtype=np.float32) * coef[cols]
    keep = (contrib > 0) & allowed[cols]
    cols, contrib = cols[keep], contrib[keep]
    order = np.lexsort((cols, -contrib))[:n]
    return [(str(vocabulary[cols[i]]), float(contrib[i])) for i in order]


def explain(matrix: sparse.csr_matrix, rows: Sequence[int], coef: np.ndarray, allowed: np.ndarray,
            vocabulary: np.ndarray, n: int = 5) -> list[list[tuple[str, float]]]:
    """`top_terms` for each of `rows`."""
    mask = term_mask(allowed, len(coef))
    return [top_terms(matrix, int(r), coef, mask, vocabulary, n) for r in rows]


def explain_folded(matrix: sparse.csr_matrix, rows: Sequence[int], coef: np.ndarray,
                   allowed: np.ndarray, vocabulary: np.ndarray, n: int = 5
                   ) -> list[list[tuple[str, float]]]:
    """`explain` with n-gram variants folded: up to n (label, summed contribution) per row,
    largest first."""
    raw = explain(matrix, rows, coef, allowed, vocabulary, n=FOLD_POOL * n)
    return [_fold(why)[:n] for why in raw]


def _fold(why: list[tuple[str, float]]) -> list[tuple[str, float]]:
    contribution = dict(why)
    entries = [(label, sum(contribution[t] for t in dict.fromkeys([*variants, label])
                           if t in contribution))
               for label, variants in fold_words([t for t, _ in why])]
    return sorted(entries, key=lambda e: -e[1])


def term_mask(allowed: np.ndarray, n_terms: int) -> np.ndarray:
    """A boolean mask over the vocabulary from a mask or from column numbers (O(1) lookups)."""
    allowed = np.asarray(allowed)
    if allowed.dtype == bool:
        return allowed
    mask = np.zeros(n_terms, dtype=bool)
    mask[allowed.astype(np.int64)] = True
    return mask
