"""The per-user linear SVM, its sampled-negative training, and its explanations (pure)."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.preprocessing import normalize

from recommend.explain import explain, top_terms
from recommend.index import build_index
from recommend.svm import centroid_model, library_terms, train_svm, training_set
from recommend.text import analyze, stem, words
from tests.recommend.corpus import TEXTS, docs

NEAR_DUPLICATE = ("Policy gradient methods for reinforcement learning with continuous actions "
                  "and rewards.")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from recommend.index import load_index

    root = tmp_path_factory.mktemp("index")
    build_index(root, docs(TEXTS + [NEAR_DUPLICATE]), fingerprint="t", min_df=1, max_df=1.0)
    return load_index(root)


def _random_matrix(n=3000, d=2000, seed=0):
    rng = np.random.default_rng(seed)
    m = sparse.random(n, d, density=0.02, random_state=seed, format="csr", dtype=np.float32)
    return normalize(m).astype(np.float32), rng


def test_planted_near_duplicate_of_a_library_paper_ranks_first(index):
    library = [index.row("p3"), index.row("p4")]           # reinforcement learning papers
    model = train_svm(index.matrix, library)
    scores = model.scores(index.matrix)
    scores[library] = -np.inf
    ranked = [str(index.ids[r]) for r in np.argsort(-scores)]
    assert ranked[0] == "p12"                              # the near-duplicate of p4
    assert "p10" in ranked[:3]                             # RL for robot control


def test_hard_negatives_push_a_paper_down(index):
    library = [index.row("p3"), index.row("p4")]
    dup, robot = index.row("p12"), index.row("p10")
    plain = train_svm(index.matrix, library).scores(index.matrix)
    hard = train_svm(index.matrix, library, [robot]).scores(index.matrix)
    assert hard[robot] - hard[dup] < plain[robot] - plain[dup]


def test_explanations_are_terms_in_both_the_paper_and_the_library(index):
    library = [index.row("p3"), index.row("p4")]
    model = train_svm(index.matrix, library)
    allowed = library_terms(index.matrix, library)
    [why] = explain(index.matrix, [index.row("p12")], model.coef, allowed, index.vocabulary, n=4)
    terms = [t for t, _ in why]
    assert terms and ("reinforc learn" in terms or "polici gradient" in terms)   # stems
    lib_terms = set(analyze(TEXTS[3] + " . " + TEXTS[4]))
    assert all(t in analyze(NEAR_DUPLICATE) and t in lib_terms for t in terms)
    assert [c for _, c in why] == sorted((c for _, c in why), reverse=True)
    assert all(c > 0 for _, c in why)


def test_explanation_of_an_unrelated_paper_is_empty_of_foreign_terms(index):
    library = [index.row("p3")]
    model = train_svm(index.matrix, library)
    allowed = library_terms(index.matrix, library)
    why = top_terms(index.matrix, index.row("p6"), model.coef, allowed, index.vocabulary)
    assert all(t in TEXTS[3].lower() for t, _ in why)


def test_training_set_samples_and_weights_negatives():
    rows, labels, weights = training_set(1000, [1, 2, 2], [5], max_negatives=100, seed=3)
    assert list(rows[:3]) == [1, 2, 5] and list(labels[:3]) == [1, 1, -1]
    assert (labels == -1).sum() == 101 and len(set(rows.tolist())) == len(rows)
    # 997 other papers stood for by 100, so each weighs 9.97; the sample is seeded
    assert weights[3] == pytest.approx(9.97) and weights[0] == 1.0
    again, _, _ = training_set(1000, [1, 2], [5], max_negatives=100, seed=3)
    assert list(rows) == list(again)
    rows, labels, weights = training_set(50, [0], max_negatives=None)
    assert len(rows) == 50 and (weights == 1).all()


def test_sampled_svm_ranks_like_the_full_svm():
    m, rng = _random_matrix()
    positives = rng.choice(3000, 30, replace=False)
    full = train_svm(m, positives, max_negatives=None).scores(m)
    fast = train_svm(m, positives, max_negatives=800).scores(m)
    top_full = set(np.argsort(-full)[:100])
    top_fast = set(np.argsort(-fast)[:100])
    assert len(top_full & top_fast) >= 70


def test_centroid_model_is_cosine_to_the_mean(index):
    library = [index.row("p3"), index.row("p4")]
    model = centroid_model(index.matrix, library)
    assert model.kind == "centroid" and np.linalg.norm(model.coef) == pytest.approx(1.0, abs=1e-5)
    scores = model.scores(index.matrix)
    assert scores[index.row("p12")] > scores[index.row("p6")]


def test_a_model_needs_a_positive(index):
    with pytest.raises(ValueError, match="positive"):
        train_svm(index.matrix, [])
    with pytest.raises(ValueError, match="positive"):
        centroid_model(index.matrix, [])


def test_positive_weight_and_c_change_the_model(index):
    library = [index.row("p3")]
    a = train_svm(index.matrix, library, C=0.1).coef
    b = train_svm(index.matrix, library, C=1.0, positive_weight=5.0).coef
    assert not np.allclose(a, b)


def test_folded_explanations_name_each_topic_once(index):
    from recommend.explain import explain_folded

    library = [index.row("p3"), index.row("p4")]
    model = train_svm(index.matrix, library)
    allowed = library_terms(index.matrix, library)
    row = index.row("p12")
    [raw] = explain(index.matrix, [row], model.coef, allowed, index.vocabulary, n=5)
    terms = [t for t, _ in raw]
    assert {"reinforc", "reinforc learn"} <= set(terms)              # one topic twice (stems)
    [folded] = explain_folded(index.matrix, [row], model.coef, allowed, index.vocabulary, n=5)
    assert [t for t, _ in folded] == ["polici gradient method", "reinforc learn", "continu action",
                                      "reward"]
    assert [c for _, c in folded] == sorted((c for _, c in folded), reverse=True)
    near = {stem(w) for w in words(NEAR_DUPLICATE) if w}
    assert all(set(t.split()) <= near for t, _ in folded)


def test_a_dismissed_paper_weighs_as_much_as_a_saved_one(index):
    rows, labels, weights = training_set(20, [0, 1], [5], hard_weight=5.0)
    assert labels[list(rows).index(5)] == -1 and weights[list(rows).index(5)] == 5.0
    assert weights[list(rows).index(6)] == 1.0          # other negatives keep their weight
    library = [index.row("p3"), index.row("p4")]
    robot = index.row("p10")
    plain = train_svm(index.matrix, library).scores(index.matrix)
    hard = train_svm(index.matrix, library, [robot]).scores(index.matrix)
    assert hard[robot] < plain[robot] - 0.01             # a clear push down, not float noise
