"""The fused ranking as served: PAPERSIFT_RECOMMEND_FEEDBACK in every ranking's key and checked
when read, rankings with or without feedback, the lexical fallback, the page's account of it."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import sparse

import config
from services.recommendations import TrainingSets, cache_key, train_ranking
from tests.factories import add_papers
from tests.helpers.accounts import login, make_user, post_json
from tests.helpers.recommend_web import corpus, rebuild

RL = [f"2405.0{i:04d}" for i in range(10)]


def _ada_with_three_rl_papers(app):
    """A logged-in client whose library is the first three RL papers of the test corpus."""
    add_papers(app.extensions["papersift.engine"], *corpus())
    rebuild(app)
    make_user(app, "ada")
    client = app.test_client()
    assert login(client, "ada").status_code == 302
    for pid in RL[:3]:
        assert post_json(client, f"/library/papers/{pid}/add", {}).status_code == 200
    return client


def test_changing_the_feedback_setting_never_serves_a_ranking_made_with_the_old_one():
    sets = TrainingSets(("2405.00000",), (), frozenset({"2405.00000"}))
    index = SimpleNamespace(version="v1")
    keys = {cache_key(index, sets, config.load_settings({}, recommend_feedback=n), None) for n in (0, 20)}
    assert len(keys) == 2


def test_a_negative_feedback_count_is_refused_with_the_variable_named():
    with pytest.raises(config.ConfigError, match="PAPERSIFT_RECOMMEND_FEEDBACK"):
        config.load_settings({"PAPERSIFT_RECOMMEND_FEEDBACK": "-1"})


@pytest.mark.parametrize("feedback", [0, 20])
def test_recommendations_rank_the_library_topic_first_with_or_without_feedback(make_app, feedback):
    client = _ada_with_three_rl_papers(make_app(RECOMMEND_SYNC=True, recommend_feedback=feedback))
    data = client.get("/api/recommendations?n=10").get_json()
    ids = [p["id"] for p in data["papers"]]
    assert data["model"] == "svm" and not set(ids) & set(RL[:3])
    assert set(ids[:8]) == set(RL[3:]) | {"2405.99999"}


def test_the_page_says_how_the_ranking_was_made(make_app):
    from bs4 import BeautifulSoup

    client = _ada_with_three_rl_papers(make_app(RECOMMEND_SYNC=True))
    summary = BeautifulSoup(client.get("/recommend").data, "html.parser").select_one(".reco-summary")
    assert "linear SVM trained on 3 papers, together with closeness to your library's centre" in \
        " ".join(summary.get_text().split())


def test_a_library_not_encoded_yet_is_ranked_lexically_while_other_papers_have_vectors():
    rng = np.random.default_rng(0)
    matrix = sparse.random(300, 50, density=0.2, format="csr", dtype=np.float32, random_state=1)
    dense = rng.standard_normal((300, 8)).astype(np.float32)
    dense[:3] = 0                                       # the library's papers: not encoded yet
    ids = [f"p{i}" for i in range(300)]
    index = SimpleNamespace(version="v1", matrix=matrix, row={p: i for i, p in enumerate(ids)}.get)
    vectors = SimpleNamespace(dense=dense, covered=297, model="test")
    sets = TrainingSets(("p0", "p1", "p2"), (), frozenset({"p0", "p1", "p2"}))
    ranking = train_ranking(index, sets, config.load_settings({}), vectors)
    assert ranking.vec_coef is None and ranking.kind == "svm"
    assert ranking.scores.shape == (300,) and np.isfinite(ranking.scores).all()
    encoded = dense.copy()
    encoded[:3] = rng.standard_normal((3, 8))
    hybrid = train_ranking(index, sets, config.load_settings({}),
                           SimpleNamespace(dense=encoded, covered=300, model="test"))
    assert hybrid.vec_coef is not None and hybrid.vec_coef.shape == (8,)
