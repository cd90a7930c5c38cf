"""The (term x month) paper counts are made a block of terms at a time; they must equal
the sparse product they replace (`postings @ by_month`), arrays and dtypes alike, for
any block size. The labels keep their choice among forms written equally often."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import sparse

from recommend import trend_build


def _product(postings: sparse.csr_matrix, doc_month: np.ndarray, n_months: int
             ) -> sparse.csr_matrix:
    n_docs = len(doc_month)
    by_month = sparse.csr_matrix((np.ones(n_docs, np.int32), (np.arange(n_docs), doc_month)),
                                 shape=(n_docs, n_months))
    counts = (postings.astype(np.int32) @ by_month).tocsr()
    counts.sort_indices()
    return counts


@pytest.mark.parametrize("cells", [1, 7, 64, 1 << 22])
@pytest.mark.parametrize("seed", [0, 1])
def test_month_counts_equal_the_sparse_product(monkeypatch, cells: int, seed: int) -> None:
    monkeypatch.setattr(trend_build, "_MONTH_CELLS", cells)
    rng = np.random.default_rng(seed)
    n_terms, n_docs, n_months = 300, 500, 13
    dense = rng.random((n_terms, n_docs)) < 0.03
    dense[5] = False                    # a term without papers
    dense[7] = True                     # a term in every paper
    postings = sparse.csr_matrix(dense, dtype=np.bool_)
    doc_month = np.sort(rng.integers(0, n_months, n_docs)).astype(np.int32)
    doc_month[-1] = n_months - 1
    want = _product(postings, doc_month, n_months)
    got = trend_build.month_counts(postings, doc_month, n_months)
    assert got.shape == want.shape
    for attr in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(got, attr), getattr(want, attr)), attr
        assert getattr(got, attr).dtype == getattr(want, attr).dtype, attr


def test_month_counts_of_no_terms() -> None:
    postings = sparse.csr_matrix((0, 4), dtype=np.bool_)
    got = trend_build.month_counts(postings, np.zeros(4, np.int32), 1)
    want = _product(postings, np.zeros(4, np.int32), 1)
    assert got.shape == want.shape == (0, 1) and got.nnz == 0
    assert got.indptr.dtype == want.indptr.dtype


def _labels_reference(terms: list[str], forms: Counter[tuple[str, str]]) -> list[str]:
    """The labels as chosen with a set of top forms kept for every term."""
    best: dict[str, tuple[int, str]] = {}
    tied: dict[str, set[str]] = {}
    for (term, written), n in forms.items():
        top = best.get(term, (0, ""))[0]
        if n > top:
            best[term], tied[term] = (n, written), {written}
        elif n == top:
            best[term] = max(best[term], (n, written))
            tied[term].add(written)
    labels = []
    for term in terms:
        by_word = " ".join(best[p][1] if p in best else p for p in term.split(" "))
        phrase = best.get(term) if " " in term else None
        labels.append(phrase[1] if phrase and by_word not in tied[term] else by_word)
    return labels


@pytest.mark.parametrize("seed", range(20))
def test_labels_keep_the_choice_among_equally_common_forms(seed: int) -> None:
    rng = np.random.default_rng(seed)
    stems = ["model", "languag", "network", "graph", "learn"]
    written = {"model": ["models", "model", "Models"], "languag": ["language", "languages"],
               "network": ["networks", "network"], "graph": ["graph", "Graphs"],
               "learn": ["learning", "learned"]}
    forms: Counter[tuple[str, str]] = Counter()
    for _ in range(int(rng.integers(0, 40))):
        a, b = (stems[int(i)] for i in rng.integers(0, len(stems), 2))
        if rng.random() < 0.5:
            forms[(a, written[a][int(rng.integers(0, len(written[a])))])] += int(
                rng.integers(1, 3))
        else:
            pair = (f"{a} {b}", f"{written[a][0]} {written[b][int(rng.integers(0, 2))]}")
            forms[pair] += int(rng.integers(1, 3))
    terms = sorted(set(stems) | {f"{a} {b}" for a in stems for b in stems})
    assert trend_build._labels(terms, forms) == _labels_reference(terms, forms)
