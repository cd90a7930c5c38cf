"""TF-IDF features: shape, vocabulary, weighting and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from recommend import features
from recommend.features import fit_features, transform
from tests.recommend.corpus import TEXTS


def row_norms(matrix) -> np.ndarray:
    return np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())


def test_one_row_per_document_and_one_column_per_term():
    f = fit_features(TEXTS, min_df=1, max_df=1.0)
    assert f.matrix.shape == (len(TEXTS), len(f.vocabulary))
    assert f.matrix.format == "csr"
    assert f.idf.shape == f.df.shape == (len(f.vocabulary),)


def test_vocabulary_holds_bigrams_of_adjacent_words_only():
    f = fit_features(TEXTS, min_df=2, max_df=1.0)
    # terms are stems (recommend.text): every form of a word is one feature
    assert "neural network" in f.vocabulary
    assert "reinforc learn" in f.vocabulary
    assert "languag model" in f.vocabulary
    # "train a deep": the stop word separates, it never joins
    assert "train deep" not in fit_features(TEXTS, min_df=1, max_df=1.0).vocabulary


def test_rows_have_unit_length_and_float32_weights():
    f = fit_features(TEXTS + ["the of and 42"], min_df=1, max_df=1.0)
    assert f.matrix.dtype == np.float32 and f.idf.dtype == np.float32
    norms = row_norms(f.matrix)
    np.testing.assert_allclose(norms[:-1], 1.0, atol=1e-5)
    assert norms[-1] == 0.0  # a document with no terms has an all-zero row


def test_weights_match_scikit_learn_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from recommend.text import analyze

    f = fit_features(TEXTS, min_df=1, max_df=1.0)
    ref = TfidfVectorizer(analyzer=analyze, token_pattern=None, sublinear_tf=True,
                          vocabulary=f.vocabulary).fit_transform(TEXTS)
    np.testing.assert_allclose(f.matrix.toarray(), ref.toarray(), atol=1e-6)


def test_min_df_max_df_and_max_features_prune_the_vocabulary():
    everything = fit_features(TEXTS, min_df=1, max_df=1.0)
    common = fit_features(TEXTS, min_df=3, max_df=1.0)
    assert set(common.vocabulary) < set(everything.vocabulary)
    assert all(d >= 3 for d in common.df)
    capped = fit_features(TEXTS, min_df=1, max_df=1.0, max_features=5)
    assert len(capped.vocabulary) == 5
    assert "neural network" in capped.vocabulary  # among the terms in most documents
    no_common = fit_features(TEXTS, min_df=1, max_df=0.2)
    assert "neural" not in no_common.vocabulary  # in 4 of 12 documents


def test_same_seed_same_features_and_vocabulary_sampled():
    texts = TEXTS * 3
    a = fit_features(texts, min_df=1, max_df=1.0, sample_docs=5, seed=7)
    b = fit_features(texts, min_df=1, max_df=1.0, sample_docs=5, seed=7)
    assert a.vocabulary == b.vocabulary
    assert (a.matrix != b.matrix).nnz == 0
    assert a.sample_size == 5
    full = fit_features(texts, min_df=1, max_df=1.0)
    assert set(a.vocabulary) < set(full.vocabulary)


def test_document_frequencies_count_every_document_not_only_the_sample():
    texts = TEXTS * 3
    f = fit_features(texts, min_df=1, max_df=1.0, sample_docs=4, seed=1)
    for j, term in enumerate(f.vocabulary):
        from recommend.text import analyze

        assert f.df[j] == sum(term in analyze(t) for t in texts)


def test_transform_places_new_text_in_the_same_space():
    f = fit_features(TEXTS, min_df=1, max_df=1.0)
    again = transform(TEXTS[:3], f.vocabulary, f.idf)
    np.testing.assert_allclose(again.toarray(), f.matrix[:3].toarray(), atol=1e-6)
    unseen = transform(["quantum chromodynamics lattice"], f.vocabulary, f.idf)
    assert unseen.shape == (1, len(f.vocabulary)) and unseen.nnz == 0


def test_worker_processes_give_the_same_matrix(monkeypatch):
    monkeypatch.setattr(features, "CHUNK_DOCS", 5)
    one = fit_features(TEXTS * 2, min_df=1, max_df=1.0, n_jobs=1)
    two = fit_features(TEXTS * 2, min_df=1, max_df=1.0, n_jobs=2)
    assert one.vocabulary == two.vocabulary
    np.testing.assert_array_equal(one.matrix.toarray(), two.matrix.toarray())


def test_empty_corpus_and_empty_vocabulary():
    f = fit_features([])
    assert f.matrix.shape == (0, 0) and f.vocabulary == []
    g = fit_features(["the", "of and"], min_df=1)
    assert g.matrix.shape == (2, 0)


@pytest.mark.parametrize("bad", [1.5, -1])
def test_bad_document_frequency_limits_are_refused(bad):
    with pytest.raises(ValueError):
        fit_features(TEXTS, min_df=bad)
