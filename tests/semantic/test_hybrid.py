"""Hybrid ranking over a small corpus where a paraphrase shares no word with its topic."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from recommend.hybrid import (
    blended_similar,
    meaning_drove,
    nearest_in_meaning,
    score_parts,
    train_hybrid,
    vector_scores,
)
from recommend.search_fusion import reciprocal_rank_fusion
from recommend.svm import train_svm
from tests.semantic.corpus import OTHER_TEXTS, RANKING_DOCS, RL_TEXTS
from tests.semantic.encoder import HashedWordEncoder

RL, OTHER, DOCS = RL_TEXTS, OTHER_TEXTS, RANKING_DOCS
TARGET = len(DOCS) - 1
LIBRARY = [0, 1, 2]


@pytest.fixture(scope="module")
def features():
    matrix = TfidfVectorizer().fit_transform(DOCS).astype(np.float32).tocsr()
    vectors = HashedWordEncoder().encode(DOCS).astype(np.float16)
    return matrix, vectors


def _rank_of(scores: np.ndarray, row: int) -> int:
    others = np.setdiff1d(np.arange(len(scores)), LIBRARY)
    order = others[np.argsort(-scores[others], kind="stable")]
    return int(np.flatnonzero(order == row)[0])


def test_the_paraphrase_shares_no_word_with_the_library(features):
    matrix, _ = features
    assert (matrix[LIBRARY] @ matrix[TARGET].T).sum() == 0


def test_hybrid_svm_ranks_the_paraphrase_with_its_topic_where_tfidf_cannot(features):
    matrix, vectors = features
    lexical = train_svm(matrix, LIBRARY, max_negatives=None).scores(matrix)
    hybrid = train_hybrid(matrix, vectors, LIBRARY, max_negatives=None, alpha=0.5, C=1.0)
    scores = hybrid.scores(matrix, vectors)
    # after the three unsaved RL papers, the paraphrase comes first
    assert _rank_of(scores, TARGET) <= 3
    assert scores[TARGET] > scores[TARGET - 1] + 0.05
    # TF-IDF alone cannot tell it from an off-topic paper that also shares no word
    assert lexical[TARGET] == pytest.approx(lexical[TARGET - 1], abs=1e-3)
    assert hybrid.coef.shape == (matrix.shape[1],) and hybrid.vec_coef.shape == (vectors.shape[1],)


def test_score_parts_add_up_and_say_the_vector_drove_the_paraphrase(features):
    matrix, vectors = features
    model = train_hybrid(matrix, vectors, LIBRARY, max_negatives=None, C=1.0)
    rows = [3, TARGET]
    terms, meaning = score_parts(matrix, vectors, rows, model.coef, model.vec_coef)
    np.testing.assert_allclose(terms + meaning + model.intercept,
                               model.scores(matrix, vectors)[rows], rtol=1e-4, atol=1e-4)
    assert meaning_drove(float(terms[1]), float(meaning[1]))        # no shared word: meaning
    assert not meaning_drove(float(terms[0]), float(meaning[0]))    # RL paper 3: its words
    assert nearest_in_meaning(vectors, [TARGET], LIBRARY)[0] in LIBRARY


def test_blended_similar_finds_the_paraphrase_and_falls_back_without_vectors(features):
    matrix, vectors = features
    blended = [r for r, _ in blended_similar(matrix, vectors, 0, k=6)]
    # the five other RL papers, then the paraphrase ahead of every off-topic paper
    assert set(blended[:5]) == set(range(1, len(RL))) and blended[5] == TARGET
    lexical_only = blended_similar(matrix, None, 0, k=5)
    assert TARGET not in [r for r, _ in lexical_only]
    assert all(r in range(len(RL)) for r, _ in lexical_only)


def test_blended_similar_scores_words_only_for_the_rows_given(features):
    """With lexical_rows (a large corpus: the papers sharing heavier terms) a paper outside
    them scores by meaning alone; the rows given keep their exact blend."""
    matrix, vectors = features
    full = dict(blended_similar(matrix, vectors, 0, k=matrix.shape[0]))
    rows = np.array([0, 1, 2], dtype=np.int64)
    pruned = dict(blended_similar(matrix, vectors, 0, k=matrix.shape[0], lexical_rows=rows))
    for r in (1, 2):
        assert pruned[r] == pytest.approx(full[r])
    meaning_only = 0.5 * vector_scores(vectors, np.asarray(vectors[0], dtype=np.float32))
    assert pruned[3] == pytest.approx(float(meaning_only[3]), abs=1e-6) and pruned[3] < full[3]


def test_vector_scores_work_in_chunks():
    vectors = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float16)
    weights = np.arange(4, dtype=np.float32)
    np.testing.assert_allclose(vector_scores(vectors, weights, chunk=3),
                               vectors.astype(np.float32) @ weights, rtol=1e-5)
    with pytest.raises(ValueError, match="dimensions"):
        vector_scores(vectors, np.ones(5))


def test_hybrid_needs_aligned_vectors(features):
    matrix, vectors = features
    with pytest.raises(ValueError, match="vector rows"):
        train_hybrid(matrix, vectors[:-1], LIBRARY)


def test_reciprocal_rank_fusion_lifts_what_both_rankings_hold():
    fused = reciprocal_rank_fusion(["a", "b", "c"], ["c", "d"])
    assert [key for key, _ in fused] == ["c", "a", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)
    assert reciprocal_rank_fusion([], ["x"]) == [("x", pytest.approx(1 / 61))]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion(["a"], weights=[1.0, 2.0])
