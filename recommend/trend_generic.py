"""Generic terms: words every field uses ("novel", "various", "crucial"), found in the corpus.

A topic lives in some categories more than others; a filler word is spread over the
categories as the papers are. A term in at least `GENERIC_MIN_SHARE` of the papers is
generic when the Kullback-Leibler divergence of its papers' categories from all papers'
categories (the `TOP_CATEGORIES` largest and the rest), less its small-sample bias
(k-1)/2n, is under `GENERIC_DIVERGENCE`. Such words can drift with writing habits, and
then fill the hot and cooling lists without naming anything; the lists leave them out
(they can still be charted). No hand-typed list: what is generic follows the corpus. An
index with fewer than `MIN_CATEGORIES` sizeable categories has no generic terms, since
spread over categories says nothing there.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

GENERIC_MIN_SHARE = 0.005
GENERIC_DIVERGENCE = 0.1
TOP_CATEGORIES = 20
MIN_CATEGORIES = 5          # each with at least 2% of the papers
BLOCK_BYTES = 64 << 20      # postings counted at once (`generic_terms`)


def generic_terms(df: np.ndarray, postings: np.ndarray, postings_ptr: np.ndarray,
                  doc_cats: sparse.csc_matrix, *, block_bytes: int = BLOCK_BYTES) -> np.ndarray:
    """Boolean per term: generic (see the module doc). The frequent terms' papers are
    counted per category a block of terms at a time (`block_bytes` of postings), so the
    memory held beyond the postings is one block, not a matrix of every posting."""
    n_docs, n_cats = doc_cats.shape
    generic = np.zeros(len(df), dtype=bool)
    sizes = np.diff(np.asarray(doc_cats.indptr))
    if n_docs == 0 or int(np.sum(sizes >= 0.02 * n_docs)) < MIN_CATEGORIES:
        return generic
    rows = np.flatnonzero(np.asarray(df) >= max(GENERIC_MIN_SHARE * n_docs, 1))
    if not len(rows):
        return generic
    indicator = _category_indicator(doc_cats, np.argsort(-sizes, kind="stable")[:TOP_CATEGORIES])
    per_term = _papers_per_category(rows, postings, postings_ptr, indicator, block_bytes)
    overall = indicator.sum(axis=0)
    generic[rows] = _divergence(per_term, overall) < GENERIC_DIVERGENCE
    return generic


def _papers_per_category(rows: np.ndarray, postings: np.ndarray, postings_ptr: np.ndarray,
                         indicator: np.ndarray, block_bytes: int) -> np.ndarray:
    """(rows x indicator columns) float32: each term's papers in each column, as the
    (term x paper) presence matrix times `indicator`, one block of terms at a time. Each
    block's CSR takes its indices straight from the postings slices (a term's row of the
    product depends on its own postings only, so the blocks give the whole product)."""
    ptr = np.asarray(postings_ptr)
    lengths = ptr[rows + 1] - ptr[rows]
    out = np.empty((len(rows), indicator.shape[1]), dtype=np.float32)
    # a block holds its postings twice over (int32 indices, float32 ones)
    per_block = max(1, block_bytes // 8)
    ends = np.cumsum(lengths)
    a = 0
    while a < len(rows):
        start = ends[a] - lengths[a]
        b = max(a + 1, int(np.searchsorted(ends, start + per_block, side="right")))
        indptr = np.zeros(b - a + 1, dtype=np.int32)
        np.cumsum(lengths[a:b], out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=np.int32)
        for k, r in enumerate(rows[a:b]):
            indices[indptr[k]:indptr[k + 1]] = postings[ptr[r]:ptr[r + 1]]
        block = sparse.csr_matrix((np.ones(len(indices), np.float32), indices, indptr),
                                  shape=(b - a, indicator.shape[0]))
        out[a:b] = block @ indicator
        a = b
    return out


def _category_indicator(doc_cats: sparse.csc_matrix, top: np.ndarray) -> np.ndarray:
    """(papers x top categories + 1): whether a paper lists each, last column none of them."""
    out = np.zeros((doc_cats.shape[0], len(top) + 1), dtype=np.float32)
    for j, c in enumerate(top):
        out[doc_cats.indices[doc_cats.indptr[c]:doc_cats.indptr[c + 1]], j] = 1.0
    out[:, -1] = out[:, :-1].sum(axis=1) == 0
    return out


def _divergence(per_term: np.ndarray, overall: np.ndarray) -> np.ndarray:
    """Bias-corrected KL(term's categories || all papers' categories), in nats, per row."""
    p = overall / overall.sum()
    n = per_term.sum(axis=1, keepdims=True)
    q = per_term / np.maximum(n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q > 0, q * np.log(q / np.where(p > 0, p, 1.0)), 0.0)
    bias = (np.count_nonzero(p) - 1) / (2.0 * np.maximum(n[:, 0], 1.0))
    return terms.sum(axis=1) - bias
