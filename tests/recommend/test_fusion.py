"""The fused recommendation model: z-scored SVM and centroids, pseudo-relevance feedback,
the lexical fallback, and a score that splits honestly into words and meaning."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from recommend.fusion import (
    FEEDBACK_MAX_SHARE,
    feedback_rows,
    scored_part,
    standardised_sum,
    train_fused,
    zscore_sum,
)
from recommend.hybrid import meaning_drove, score_parts
from tests.semantic.corpus import OTHER_TEXTS, RANKING_DOCS, RL_TEXTS
from tests.semantic.encoder import HashedWordEncoder

RL, OTHER, DOCS = RL_TEXTS, OTHER_TEXTS, RANKING_DOCS
TARGET = len(DOCS) - 1
LIBRARY = [0, 1, 2]


@pytest.fixture(scope="module")
def features():
    matrix = TfidfVectorizer().fit_transform(DOCS).astype(np.float32).tocsr()
    vectors = HashedWordEncoder().encode(DOCS).astype(np.float32)
    return matrix, vectors


def _zscore(x):
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / x.std()


def _order(scores, library=LIBRARY):
    others = np.setdiff1d(np.arange(len(scores)), library)
    return list(others[np.argsort(-scores[others], kind="stable")])


def test_the_fused_model_is_the_sum_of_each_parts_z_score(features):
    matrix, vectors = features
    rng = np.random.default_rng(3)
    coef, vec_coef = rng.standard_normal(matrix.shape[1]), rng.standard_normal(vectors.shape[1])
    words = scored_part(matrix, vectors, coef, None, 0.3)
    meaning = scored_part(matrix, vectors, None, vec_coef)
    both = scored_part(matrix, vectors, coef, vec_coef, -1.0)
    model = standardised_sum([words, meaning, both], matrix.shape[1], vectors.shape[1])
    expected = (_zscore(matrix @ coef) + _zscore(vectors @ vec_coef)
                + _zscore(matrix @ coef + vectors @ vec_coef))
    np.testing.assert_allclose(model.scores(matrix, vectors), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(zscore_sum([words, meaning, both]), expected, rtol=1e-6, atol=1e-6)
    half = scored_part(matrix, vectors, coef, None, 0.3, weight=0.5)
    weighted = standardised_sum([half, meaning], matrix.shape[1], vectors.shape[1])
    expected = 0.5 * _zscore(matrix @ coef) + _zscore(vectors @ vec_coef)
    np.testing.assert_allclose(weighted.scores(matrix, vectors), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(zscore_sum([half, meaning]), expected, rtol=1e-6, atol=1e-6)
    # the offsets are each block's mean over all papers: the parts around them add up
    terms, vecs = score_parts(matrix, vectors, range(len(DOCS)), model.coef, model.vec_coef)
    assert terms.mean() == pytest.approx(model.term_offset, abs=1e-4)
    assert vecs.mean() == pytest.approx(model.vec_offset, abs=1e-4)


def test_a_part_that_tells_no_paper_apart_adds_nothing(features):
    matrix, _ = features
    flat = scored_part(matrix, None, np.zeros(matrix.shape[1]), None, 2.0)
    model = standardised_sum([flat], matrix.shape[1], None)
    assert not model.scores(matrix).any() and model.vec_coef is None


def test_fused_ranking_puts_the_paraphrase_with_its_topic_and_says_meaning_drove_it(features):
    matrix, vectors = features
    model = train_fused(matrix, vectors, LIBRARY, max_negatives=None, C=1.0)
    scores = model.scores(matrix, vectors)
    order = _order(scores)
    assert set(order[:3]) == {3, 4, 5}                       # the unsaved RL papers first
    assert order[3] == TARGET                                # then the paraphrase ...
    assert scores[TARGET] > scores[TARGET - 1] + 0.5         # ... well above the off-topic one
    terms, meaning = score_parts(matrix, vectors, [3, TARGET], model.coef, model.vec_coef)
    terms, meaning = terms - model.term_offset, meaning - model.vec_offset
    assert meaning_drove(float(terms[1]), float(meaning[1]))       # shares no word: meaning
    assert not meaning_drove(float(terms[0]), float(meaning[0]))   # RL paper 3: its words


def test_without_vectors_the_fusion_is_lexical(features):
    matrix, vectors = features
    lexical = train_fused(matrix, None, LIBRARY, max_negatives=None, C=1.0)
    assert lexical.vec_coef is None
    scores = lexical.scores(matrix)
    assert set(_order(scores)[:3]) == {3, 4, 5}
    # no library paper has a vector yet (encoding still running): lexical, not an error
    unencoded = vectors.copy()
    unencoded[LIBRARY] = 0
    assert train_fused(matrix, unencoded, LIBRARY, max_negatives=None, C=1.0).vec_coef is None
    # a model that weighs embeddings refuses to score without them
    with pytest.raises(ValueError, match="vectors"):
        train_fused(matrix, vectors, LIBRARY, max_negatives=None).scores(matrix)


def test_training_is_deterministic(features):
    matrix, vectors = features
    first = train_fused(matrix, vectors, LIBRARY, hard_negatives=[8], max_negatives=10, seed=4)
    again = train_fused(matrix, vectors, LIBRARY, hard_negatives=[8], max_negatives=10, seed=4)
    assert first.scores(matrix, vectors).tobytes() == again.scores(matrix, vectors).tobytes()


def test_bad_input_gets_a_clear_error(features):
    matrix, vectors = features
    with pytest.raises(ValueError, match="positive"):
        train_fused(matrix, vectors, [])
    with pytest.raises(ValueError, match="vector rows"):
        train_fused(matrix, vectors[:-1], LIBRARY)
    with pytest.raises(ValueError, match="negative"):
        feedback_rows(np.zeros(5), np.array([0]), np.array([], dtype=np.int64), feedback=-1)


def test_feedback_takes_the_best_other_papers_never_a_dismissed_one():
    scores = np.linspace(1.0, 0.0, 1000)            # row 0 best, then 1, 2, ...
    rows, weights = feedback_rows(scores, np.array([0, 5]), np.array([1, 2]), feedback=3,
                                  feedback_weight=0.5)
    assert rows.tolist() == [0, 5, 3, 4, 6]
    assert weights.tolist() == [1.0, 1.0, 0.5, 0.5, 0.5]
    # never more than FEEDBACK_MAX_SHARE of the papers: in a tiny store, none
    small, _ = feedback_rows(scores[:50], np.array([0]), np.array([], dtype=np.int64), feedback=20)
    assert small.tolist() == [0] and int(50 * FEEDBACK_MAX_SHARE) == 0


def _feedback_corpus():
    """Library papers share words "alpha beta"; bridge papers share those and "gamma delta";
    a gamma-delta paper shares no word with the library; 400 filler papers share nothing."""
    rng = np.random.default_rng(0)
    filler = [" ".join(f"w{j}" for j in rng.choice(3000, 8, replace=False)) for _ in range(400)]
    library = [f"alpha beta lib{i} one{i}" for i in range(3)]
    bridges = [f"alpha beta gamma delta bridge{i}" for i in range(4)]
    docs = library + bridges + ["gamma delta epsilon"] + filler
    matrix = TfidfVectorizer().fit_transform(docs).astype(np.float32).tocsr()
    return sparse.csr_matrix(matrix), len(library) + len(bridges)


def test_pseudo_relevance_feedback_reaches_papers_one_step_from_the_library():
    matrix, target = _feedback_corpus()
    library = [0, 1, 2]
    plain = train_fused(matrix, None, library, feedback=0, max_negatives=None).scores(matrix)
    widened = train_fused(matrix, None, library, feedback=4, max_negatives=None).scores(matrix)
    # the bridges rank first either way; only feedback lifts the gamma-delta paper off the
    # filler, through the words it shares with them
    assert set(_order(plain, library)[:4]) == set(_order(widened, library)[:4]) == {3, 4, 5, 6}
    assert _order(widened, library)[4] == target
    assert widened[target] > np.max(np.delete(widened, library + [3, 4, 5, 6, target])) + 0.5
    assert _order(plain, library).index(target) > _order(widened, library).index(target)
