"""The papers that explain a term: recent ones by the term's weight, then earlier ones."""

from __future__ import annotations

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
