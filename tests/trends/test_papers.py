"""The papers that explain a term: recent ones by the term's weight, then earlier ones."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy import sparse

from recommend.trend_papers import term_papers
from recommend.trend_query import parse_month
from tests.trends.corpus import hot_docs, table_of


@pytest.fixture(scope="module")
def table():
    return table_of(hot_docs())


def _weights(table, weight_of_paper):
    """A one-column feature matrix: column 0 is "mamba", weighted per paper id."""
    values = np.array([weight_of_paper(str(pid)) for pid in table.ids], dtype=np.float32)
    return sparse.csr_matrix(values.reshape(-1, 1)), {"mamba": 0}


def test_recent_papers_where_the_term_weighs_most_come_first(table):
    # mamba is in papers 0..5 of every month from 2023-08; paper j weighs j + 1
    matrix, columns = _weights(table, lambda pid: int(pid[-2:]) + 1)
    rows = term_papers(table, "mamba", matrix=matrix, column_of=columns, n=5)
    assert [str(table.ids[r]) for r in rows] == ["h2305", "h2205", "h2105", "h2005", "h1905"]


def test_earlier_papers_fill_up_newest_first(table):
    # fractalnet: papers 0..3 of each recent month (2023-07 .. 2023-12), 0..19 before
    matrix, _ = _weights(table, lambda pid: int(pid[-2:]) + 1)
    rows = term_papers(table, "fractalnet", matrix=matrix, column_of={"fractalnet": 0}, n=50)
    ids = [str(table.ids[r]) for r in rows]
    assert ids[:6] == ["h2303", "h2203", "h2103", "h2003", "h1903", "h1803"]  # weight 4
    assert {i[1:3] for i in ids[:24]} == {"18", "19", "20", "21", "22", "23"}
    assert ids[24:44] == [f"h17{j:02d}" for j in reversed(range(20))]  # then 2023-06, weights ignored


def test_without_windows_every_paper_counts_newest_first(table):
    rows = term_papers(table, "fractalnet", month=parse_month("2022-02"), n=30)
    months = [str(table.ids[r])[1:3] for r in rows]
    assert months == ["01"] * 20 + ["00"] * 10


def test_unknown_terms_and_months_have_no_papers(table):
    assert term_papers(table, "no such term") == []
    assert term_papers(table, "mamba", month=parse_month("2031-01")) == []
    assert term_papers(table, "mamba", category="cs.CV") == []


def test_the_weight_is_read_from_the_term_column_of_unsorted_rows(table):
    """Feature rows hold other terms too, in any order: only the term's own value ranks."""
    n = len(table.ids)
    weight = np.array([int(str(pid)[-2:]) + 1 for pid in table.ids], dtype=np.float32)
    noise = np.random.default_rng(3).uniform(50, 100, size=(n, 2)).astype(np.float32)
    indices = np.tile(np.array([1, 2, 0], dtype=np.int32), n)          # mamba (2) in the middle
    data = np.column_stack([noise[:, 0], weight, noise[:, 1]]).ravel()
    matrix = sparse.csr_matrix((data, indices, np.arange(0, 3 * n + 1, 3)), shape=(n, 3))
    assert not matrix.has_sorted_indices
    rows = term_papers(table, "mamba", matrix=matrix, column_of={"mamba": 2}, n=5)
    assert [str(table.ids[r]) for r in rows] == ["h2305", "h2205", "h2105", "h2005", "h1905"]


def _reference_term_papers(table, term, *, matrix, column_of, month=None, category=None, n=5):
    """The papers as ranked before the selection by partitioning: every candidate sorted,
    every candidate's whole feature row read."""
    from recommend.trend_windows import choose_windows

    row = table.row(term)
    ref = table.column(month) if month is not None else len(table.months) - 1
    if row is None or ref is None:
        return []
    docs = np.asarray(table.docs_with(row))
    if category:
        docs = docs[table.category_mask(category)[docs]]
    months = np.asarray(table.doc_month)[docs]
    docs, months = docs[months <= ref], months[months <= ref]
    windows = choose_windows(ref)
    recent = months >= (windows.recent_start if windows else 0)
    weights = np.zeros(len(docs))
    col = column_of.get(term)
    if col is not None:
        dense = matrix[:, [col]].toarray().ravel()
        weights[recent] = dense[docs[recent]]
    order = np.lexsort((-docs, -months, -weights, ~recent))
    return [int(d) for d in docs[order[:n]]]


def _noisy_matrix(table, n_cols, *, sort_rows, seed):
    """Feature rows of random terms with few distinct weights (many ties), some papers
    without a term's entry, rows sorted or shuffled."""
    rng = np.random.default_rng(seed)
    rows, cols, values = [], [], []
    for r in range(len(table.ids)):
        picked = rng.choice(n_cols, size=rng.integers(0, n_cols + 1), replace=False)
        if sort_rows:
            picked = np.sort(picked)
        rows += [r] * len(picked)
        cols += picked.tolist()
        values += rng.integers(1, 4, size=len(picked)).astype(np.float32).tolist()
    indptr = np.searchsorted(np.asarray(rows), np.arange(len(table.ids) + 1))
    return sparse.csr_matrix((np.asarray(values, np.float32), np.asarray(cols, np.int32), indptr),
                             shape=(len(table.ids), n_cols))


@pytest.fixture(scope="module")
def shuffled_table():
    """The same papers with their rows in no month order."""
    docs = hot_docs()
    random.Random(4).shuffle(docs)
    return table_of(docs)


@pytest.mark.parametrize("sort_rows", [True, False])
@pytest.mark.parametrize("rows_by_month", [True, False])
def test_the_papers_are_those_a_full_sort_of_every_candidate_gives(table, shuffled_table,
                                                                   sort_rows, rows_by_month):
    """Selecting by partitions, the recent papers as one slice of the postings when rows
    follow the months, and reading rows by binary search (a row in another order read
    whole) rank exactly as sorting every candidate did, ties included."""
    table = table if rows_by_month else shuffled_table
    assert table.months_in_order == rows_by_month
    terms = [table.term(i) for i in range(table.n_terms)]
    column_of = {t: i for i, t in enumerate(terms[::3])}
    matrix = _noisy_matrix(table, len(column_of), sort_rows=sort_rows, seed=5)
    asked = [{}, {"n": 1}, {"n": 40}, {"month": parse_month("2023-09")},
             {"month": parse_month("2022-02"), "n": 12}, {"category": str(table.cats[0])}]
    for term in terms:
        for kw in asked:
            expected = _reference_term_papers(table, term, matrix=matrix, column_of=column_of, **kw)
            assert term_papers(table, term, matrix=matrix, column_of=column_of, **kw) == expected
