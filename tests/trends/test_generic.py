"""Generic terms (recommend/trend_generic.py): counted a block of terms at a time per
category combination, the flags equal the one-matrix computation they replaced, on
random corpora and tiny blocks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse

from recommend import trend_generic
from recommend.index import Doc, build_index, load_index, version_files
from recommend.trend_generic import generic_terms
from recommend.trend_hot import hot_report
from recommend.trends import TrendTable, trend_builder
from tests.helpers.fuzz import FUZZ
from tests.trends.corpus import planted_docs, table_of


def reference_generic_terms(df: np.ndarray, postings: np.ndarray, postings_ptr: np.ndarray,
                            doc_cats: sparse.csc_matrix) -> np.ndarray:
    """The implementation before blocks: every frequent posting in one COO/CSR matrix."""
    n_docs, _ = doc_cats.shape
    generic = np.zeros(len(df), dtype=bool)
    sizes = np.diff(np.asarray(doc_cats.indptr))
    if n_docs == 0 or int(np.sum(sizes >= 0.02 * n_docs)) < trend_generic.MIN_CATEGORIES:
        return generic
    rows = np.flatnonzero(np.asarray(df) >= max(trend_generic.GENERIC_MIN_SHARE * n_docs, 1))
    if not len(rows):
        return generic
    top = np.argsort(-sizes, kind="stable")[:trend_generic.TOP_CATEGORIES]
    indicator = _category_indicator(doc_cats, top)
    ptr = np.asarray(postings_ptr)
    lengths = ptr[rows + 1] - ptr[rows]
    docs = np.concatenate([np.asarray(postings[ptr[r]:ptr[r + 1]]) for r in rows])
    owner = np.repeat(np.arange(len(rows)), lengths)
    per_term = sparse.csr_matrix((np.ones(len(docs), np.float32), (owner, docs)),
                                 shape=(len(rows), n_docs)) @ indicator
    overall = indicator.sum(axis=0)
    generic[rows] = trend_generic._divergence(np.asarray(per_term), overall) \
        < trend_generic.GENERIC_DIVERGENCE
    return generic


def _category_indicator(doc_cats: sparse.csc_matrix, top: np.ndarray) -> np.ndarray:
    """(papers x top categories + 1): whether a paper lists each, last column none of them."""
    out = np.zeros((doc_cats.shape[0], len(top) + 1), dtype=np.float32)
    for j, c in enumerate(top):
        out[doc_cats.indices[doc_cats.indptr[c]:doc_cats.indptr[c + 1]], j] = 1.0
    out[:, -1] = out[:, :-1].sum(axis=1) == 0
    return out


def random_table(seed: int, n_docs: int, n_terms: int, n_cats: int, spread: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, sparse.csc_matrix]:
    """df, postings, postings_ptr and doc_cats as a trend table stores them: each term's
    papers drawn either evenly (a filler word) or mostly from one category (a topic)."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(n_cats))
    primary = rng.choice(n_cats, size=n_docs, p=weights)
    second = rng.integers(0, n_cats, size=n_docs)
    has_second = rng.random(n_docs) < 0.3
    rows = np.concatenate([np.arange(n_docs), np.flatnonzero(has_second)])
    cols = np.concatenate([primary, second[has_second]])
    doc_cats = sparse.csc_matrix((np.ones(len(rows), np.bool_), (rows, cols)),
                                 shape=(n_docs, n_cats))
    doc_cats.sum_duplicates()
    postings, ptr = [], [0]
    for _ in range(n_terms):
        size = int(rng.integers(0, n_docs + 1))
        if rng.random() < spread:
            docs = rng.choice(n_docs, size=size, replace=False)
        else:
            home = np.flatnonzero(primary == rng.integers(0, n_cats))
            docs = np.union1d(home[:size], rng.choice(n_docs, size=size // 10, replace=False))
        docs = np.unique(docs).astype(np.int32)
        postings.append(docs)
        ptr.append(ptr[-1] + len(docs))
    flat = np.concatenate(postings) if postings else np.zeros(0, np.int32)
    ptr_arr = np.asarray(ptr, dtype=np.int64)
    return np.diff(ptr_arr).astype(np.int32), flat, ptr_arr, doc_cats


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), n_docs=st.integers(0, 400),
       n_terms=st.integers(0, 60), n_cats=st.integers(1, 30),
       spread=st.floats(0.0, 1.0), block_bytes=st.sampled_from([1, 16, 64, 1000, 1 << 26]),
       cell_budget=st.sampled_from([1, 7, 1 << 22]))
def test_blocks_give_the_flags_of_the_whole_matrix(seed, n_docs, n_terms, n_cats, spread,
                                                    block_bytes, cell_budget):
    df, postings, ptr, doc_cats = random_table(seed, n_docs, n_terms, n_cats, spread)
    expected = reference_generic_terms(df, postings, ptr, doc_cats)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trend_generic, "CELL_BUDGET", cell_budget)
        got = generic_terms(df, postings, ptr, doc_cats, block_bytes=block_bytes)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, expected)


def test_a_larger_corpus_has_generic_and_topic_terms_alike_in_both():
    df, postings, ptr, doc_cats = random_table(7, 20_000, 400, 25, 0.5)
    expected = reference_generic_terms(df, postings, ptr, doc_cats)
    assert 0 < expected.sum() < len(expected)    # both kinds, so the comparison says something
    for block_bytes in (8 * 1000, 8 * 150_000, trend_generic.BLOCK_BYTES):
        np.testing.assert_array_equal(
            generic_terms(df, postings, ptr, doc_cats, block_bytes=block_bytes), expected)


def test_memory_mapped_postings_give_the_same_flags(tmp_path):
    df, postings, ptr, doc_cats = random_table(3, 5_000, 100, 12, 0.6)
    np.save(tmp_path / "postings.npy", postings)
    mapped = np.load(tmp_path / "postings.npy", mmap_mode="r")
    np.testing.assert_array_equal(generic_terms(df, mapped, ptr, doc_cats, block_bytes=4096),
                                  reference_generic_terms(df, postings, ptr, doc_cats))


# -- stored with the version -----------------------------------------------------------------------

def _spread_docs() -> list[Doc]:
    cats = ["cs.CV", "cs.CL", "cs.LG", "cs.RO", "cs.AI"]
    docs = planted_docs({"various": lambda i: 20 if i < 18 else 5,
                         "fractalnet": lambda i: 40 if i < 18 else 5},
                        categories=lambda j: (cats[j % 5],))
    return [Doc(d.id, d.published, d.categories,
                d.text if d.categories == ("cs.CV",) else d.text.replace("fractalnet.", ""))
            for d in docs]


def test_the_build_stores_the_flags_the_table_would_compute():
    table = table_of(_spread_docs())
    assert table.generic_flags is not None and table.generic_flags.dtype == np.bool_
    assert len(table.generic_flags) == table.n_terms
    lazy = dataclasses.replace(table, generic_flags=None)
    np.testing.assert_array_equal(table.generic, lazy.generic)
    assert table.generic[table.row("various")] and not table.generic[table.row("fractalnet")]


def test_a_version_built_before_the_flags_existed_still_lists_without_generic_terms(tmp_path):
    docs = _spread_docs()
    build_index(tmp_path, docs, fingerprint="f", extra=[trend_builder], min_df=1, sample_docs=500)
    index = load_index(tmp_path)
    assert index is not None and index.meta["parts"]["trend_generic_flags"] == "array"
    assert "trend_generic_flags.npy" in version_files(index.meta)
    stored = TrendTable.from_index(index)
    old_parts = {k: v for k, v in index.parts.items() if k != "trend_generic_flags"}
    old = TrendTable.from_index(dataclasses.replace(index, parts=old_parts))
    assert stored is not None and old is not None and old.generic_flags is None
    np.testing.assert_array_equal(old.generic, stored.generic)
    assert old.generic[old.row("various")]
    assert hot_report(old, min_support=5) == hot_report(stored, min_support=5)
