"""Generic terms: words every field uses ("novel", "various", "crucial"), found in the corpus.

A topic lives in some categories more than others; a filler word is spread over the
categories as the papers are. A term in at least `GENERIC_MIN_SHARE` of the papers is
generic when the Kullback-Leibler divergence of its papers' categories from all papers'
categories (the `TOP_CATEGORIES` largest and the rest), less its small-sample bias
(k-1)/2n, is under `GENERIC_DIVERGENCE`. Such words can drift with writing habits, and
then fill the hot and cooling lists without naming anything; the lists leave them out
(they can still be charted). No hand-typed list: what is generic follows the corpus. An
index with fewer than `MIN_CATEGORIES` sizeable categories has no generic terms, since
spread over categories says nothing there. The build and the update store the flags as
``trend_generic_flags`` (`recommend.trends`); a table without them computes them here.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from recommend.trend_cells import cell_counts

GENERIC_MIN_SHARE = 0.005
GENERIC_DIVERGENCE = 0.1
TOP_CATEGORIES = 20
MIN_CATEGORIES = 5          # each with at least 2% of the papers
BLOCK_BYTES = 64 << 20      # postings counted at once (`generic_terms`)
CELL_BUDGET = 1 << 22       # (term, category combination) cells counted at once


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
    combo, columns = _category_combinations(doc_cats,
                                            np.argsort(-sizes, kind="stable")[:TOP_CATEGORIES])
    per_term = _papers_per_category(rows, postings, postings_ptr, combo, columns, block_bytes)
    overall = (np.bincount(combo, minlength=len(columns)) @ columns).astype(np.float32)
    generic[rows] = _divergence(per_term, overall) < GENERIC_DIVERGENCE
    return generic


def _category_combinations(doc_cats: sparse.csc_matrix, top: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
    """(each paper's combination of the top categories, as a row of the second array;
    (combinations x top categories + 1) 0/1, the last column none of them). Papers
    share a few hundred combinations, so counting a term's papers per combination is one
    gather and one bincount a posting, where counting per category was one per column."""
    key = np.zeros(doc_cats.shape[0], dtype=np.int64)
    for j, c in enumerate(top):
        key[doc_cats.indices[doc_cats.indptr[c]:doc_cats.indptr[c + 1]]] |= 1 << j
    keys, combo = np.unique(key, return_inverse=True)
    columns = np.zeros((len(keys), len(top) + 1), dtype=np.float64)
    columns[:, :-1] = (keys[:, None] >> np.arange(len(top))) & 1
    columns[:, -1] = keys == 0
    return combo.astype(np.int32).ravel(), columns


def _papers_per_category(rows: np.ndarray, postings: np.ndarray, postings_ptr: np.ndarray,
                         combo: np.ndarray, columns: np.ndarray, block_bytes: int) -> np.ndarray:
    """(rows x category columns) float32: each term's papers in each top category (and in
    none), counted a block of terms at a time: the block's papers per (term, category
    combination) cell, times the combinations' categories. Counts are whole numbers, so
    the float32 result is exact, as the (term x paper) matrix times the (paper x
    category) indicator gives it."""
    out = np.empty((len(rows), columns.shape[1]), dtype=np.float32)
    # a posting's row (4), combination (4), cell (8)
    for a, b, per_cell in cell_counts(postings, postings_ptr, combo, len(columns), rows=rows,
                                      max_cells=CELL_BUDGET,
                                      max_postings=max(1, block_bytes // 16)):
        out[a:b] = per_cell @ columns
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
