"""Similar papers: cosine top-k over the index rows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from recommend.features import fit_features
from recommend.similar import similar, similar_to_vector, top_k
from tests.recommend.corpus import TEXTS

DUPLICATE = ("Graph neural network models for predicting molecule properties, "
             "a graph neural network study.")


@pytest.fixture(scope="module")
def matrix():
    return fit_features(TEXTS + [DUPLICATE], min_df=1, max_df=1.0).matrix


def test_a_paper_is_not_its_own_neighbour(matrix):
    for row in range(matrix.shape[0]):
        assert row not in [r for r, _ in similar(matrix, row)]


def test_a_near_duplicate_ranks_first(matrix):
    dup = matrix.shape[0] - 1
    assert similar(matrix, 5)[0][0] == dup  # TEXTS[5] is the graph neural network paper
    assert similar(matrix, dup)[0][0] == 5


def test_results_are_best_first_cosines(matrix):
    result = similar(matrix, 3, k=2)
    scores = [s for _, s in result]
    assert len(result) == 2 and scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 + 1e-6 for s in scores)
    assert result[0][0] in (4, 10)  # the other reinforcement learning papers
    expected = (matrix[3] @ matrix[result[0][0]].T).toarray()[0, 0]
    assert result[0][1] == pytest.approx(expected, abs=1e-6)


def test_including_self_puts_it_first(matrix):
    row, score = similar(matrix, 2, exclude_self=False)[0]
    assert row == 2 and score == pytest.approx(1.0, abs=1e-5)


def test_unrelated_papers_are_left_out(matrix):
    # only papers sharing a term with the query row are returned
    result = similar(matrix, 9, k=100)
    overlap = (matrix @ matrix[9].T).toarray().ravel() > 0
    assert {r for r, _ in result} == set(np.flatnonzero(overlap)) - {9}


def test_similar_to_vector_accepts_dense_and_sparse_and_excludes(matrix):
    centroid = np.asarray(matrix[[3, 4]].mean(axis=0)).ravel()
    dense = similar_to_vector(matrix, centroid, k=3, exclude=[3, 4])
    assert dense[0][0] == 10
    as_sparse = similar_to_vector(matrix, sparse.csr_matrix(centroid), k=3, exclude=[3, 4])
    assert [r for r, _ in as_sparse] == [r for r, _ in dense]
    with pytest.raises(ValueError):
        similar_to_vector(matrix, np.ones(3))


def test_out_of_range_row(matrix):
    with pytest.raises(IndexError):
        similar(matrix, matrix.shape[0])


def test_top_k_breaks_ties_by_row_and_honours_k():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.5, 0.0])
    assert top_k(scores, 3) == [(1, pytest.approx(0.9)), (0, 0.5), (2, 0.5)]
    assert top_k(scores, 2, exclude=[1]) == [(0, 0.5), (2, 0.5)]
    assert [r for r, _ in top_k(scores, 10, min_score=0.0)] == [1, 0, 2, 4, 3]
    assert top_k(scores, 0) == [] and top_k(np.array([]), 3) == []
