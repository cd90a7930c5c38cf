from bs4 import BeautifulSoup

from tests.helpers.accounts import make_user, post, post_json
from tests.helpers.recommend_web import rebuild

RL = [f"2405.0{i:04d}" for i in range(10)]
SEG = [f"2405.1{i:04d}" for i in range(10)]


def _save(client, ids, tag=None):
    for pid in ids:
        response = post_json(client, f"/library/papers/{pid}/add", {"tag": tag} if tag else {})
        assert response.status_code == 200


def _api(client, query=""):
    response = client.get(f"/api/recommendations{query}")
    assert response.status_code == 200
    return response.get_json()


def test_empty_library_gets_a_friendly_explanation(ada):
    response = ada.get("/recommend")
    assert response.status_code == 200
    assert "Nothing to learn from yet" in BeautifulSoup(response.data, "html.parser").select_one(
        ".reco-empty").get_text()
    data = _api(ada)
    assert data["papers"] == [] and data["empty_reason"] == "library"


def test_recommendations_exclude_the_library_and_find_the_near_duplicate(ada):
    _save(ada, RL[:3])
    data = _api(ada, "?n=10")
    assert data["model"] == "svm"
    ids = [p["id"] for p in data["papers"]]
    assert not set(ids) & set(RL[:3])
    assert "2405.99999" in ids[:2]                       # planted near-duplicate of RL[0]
    assert set(ids[:6]) <= set(RL) | {"2405.99999"}      # then the same topic
    # reasons are terms the paper shares with the library
    first = data["papers"][ids.index("2405.99999")]
    assert first["reasons"]
    library_text = " ".join(p["title"] + " " + p["abstract"] for p in
                            ada.get("/library/export.json").get_json()["papers"]).lower()
    for r in first["reasons"]:
        assert r in library_text and r in (first["title"] + " " + first["abstract"]).lower()


def test_recommend_page_shows_cards_with_reasons(ada):
    _save(ada, RL[:3])
    soup = BeautifulSoup(ada.get("/recommend").data, "html.parser")
    cards = soup.select(".reco-cards .paper-card")
    assert cards and "2405.99999" in [c["data-paper-id"] for c in cards[:2]]
    assert cards[0].select(".card-reasons .term")
    assert "linear SVM trained on 3 papers" in soup.select_one(".reco-summary").get_text()


def test_not_interested_papers_are_never_recommended(ada):
    _save(ada, RL[:3])
    post_json(ada, "/library/papers/2405.99999/not-interested")
    ids = [p["id"] for p in _api(ada, "?n=40")["papers"]]
    assert "2405.99999" not in ids and ids


def test_filters_by_category_and_window(ada):
    _save(ada, RL[:3])
    ids = [p["id"] for p in _api(ada, "?n=100&cat=cs.CV")["papers"]]
    assert ids and all(i.startswith(("2405.1", "2405.3")) for i in ids)
    # the newest paper is 20 May; a week back keeps 13 May onwards only
    data = _api(ada, "?n=100&window=week")
    assert {p["published"][:10] for p in data["papers"]} <= {f"2024-05-{d}" for d in range(13, 21)}
    assert ada.get("/api/recommendations?window=decade").status_code == 400
    assert ada.get("/api/recommendations?mode=some").status_code == 400


def test_tags_any_all_and_negative(ada):
    _save(ada, RL[:2], tag="rl")
    _save(ada, SEG[:2], tag="seg")
    post(ada, f"/library/papers/{RL[0]}/tag", {"tag": "seg"})       # RL[0] carries both
    rl = [p["id"] for p in _api(ada, "?tag=rl&n=5")["papers"]]
    seg = [p["id"] for p in _api(ada, "?tag=seg&neg=rl&n=5")["papers"]]
    assert set(rl[:4]) <= set(RL) | {"2405.99999"}
    assert set(seg[:4]) <= set(SEG)
    both = _api(ada, "?tag=rl&tag=seg&mode=all")
    assert both["positives"] == 1
    assert _api(ada, "?tag=nosuch")["empty_reason"] == "tag"


def test_another_users_library_is_not_used(reco_app, ada):
    _save(ada, RL[:3])
    make_user(reco_app, "eve")
    from tests.helpers.accounts import login

    eve = reco_app.test_client()
    login(eve, "eve")
    assert _api(eve)["empty_reason"] == "library"


def test_ranking_cache_invalidates_on_library_change_and_index_swap(reco_app, ada):
    _save(ada, RL[:2])
    _api(ada)
    cache, _ = reco_app.extensions["papersift.reco"]
    keys = set(cache._data)
    _api(ada)
    assert set(cache._data) == keys                       # warm: nothing retrained
    _save(ada, RL[2:3])
    _api(ada)
    new_keys = set(cache._data) - keys
    assert len(new_keys) == 1                              # the library changed: a new ranking
    before = set(cache._data)
    rebuild(reco_app)
    _api(ada)
    assert len(set(cache._data) - before) == 1             # a new index version: retrained


def test_background_training_serves_the_centroid_first(make_app):
    from tests.factories import add_papers
    from tests.helpers.accounts import login
    from tests.helpers.recommend_web import corpus

    app = make_app()
    add_papers(app.extensions["papersift.engine"], *corpus())
    rebuild(app)
    make_user(app, "ada")
    client = app.test_client()
    login(client, "ada")
    _save(client, RL[:3])
    from web.recommend import reco_runtime

    cache, trainer = reco_runtime(app)
    trainer._pool.submit(lambda: __import__("time").sleep(0.3))      # keep the worker busy a moment
    first = _api(client, "?n=5")
    assert first["model"] == "centroid"
    assert "2405.99999" in [p["id"] for p in first["papers"][:2]]
    soup = BeautifulSoup(client.get("/recommend").data, "html.parser")
    assert soup.select_one(".reco-provisional")
    trainer.wait(timeout=30)
    assert _api(client, "?n=5")["model"] == "svm"


def test_recommend_cli(reco_app, ada):
    _save(ada, RL[:3])
    runner = reco_app.test_cli_runner()
    result = runner.invoke(args=["recommend", "--user", "ada", "-n", "3"])
    assert result.exit_code == 0, result.output
    assert "2405.99999" in "".join(result.output.splitlines()[:4]) and "because of:" in result.output
    result = runner.invoke(args=["recommend", "--user", "ada", "-n", "3", "--json"])
    import json

    data = json.loads(result.output)
    assert data["model"] == "svm" and "2405.99999" in [p["id"] for p in data["papers"][:2]]
    result = runner.invoke(args=["recommend", "--user", "nobody"])
    assert result.exit_code == 1 and "No account" in result.output
    make_user(reco_app, "eve")
    result = runner.invoke(args=["recommend", "--user", "eve"])
    assert result.exit_code == 1 and "library is empty" in result.output


def test_top_page_counts_libraries(reco_app, ada):
    from tests.helpers.accounts import login

    _save(ada, RL[:3])
    for name in ("eve", "bob", "cy"):
        make_user(reco_app, name)
        other = reco_app.test_client()
        login(other, name)
        _save(other, RL[:2] if name != "cy" else RL[1:2])
    # RL[1] is in 4 libraries, RL[0] in 3, RL[2] in 1: too few to list (min_library_count 3)
    soup = BeautifulSoup(reco_app.test_client().get("/top?window=week").data, "html.parser")
    cards = soup.select(".top-cards .paper-card")
    assert [c["data-paper-id"] for c in cards] == [RL[1], RL[0]]
    assert "In 4 libraries" in cards[0].select_one(".card-note").get_text()
    assert reco_app.test_client().get("/top?window=nope").status_code == 400
    soup = BeautifulSoup(reco_app.test_client().get(f"/paper/{RL[1]}").data, "html.parser")
    assert "in 4 libraries" in soup.select_one(".lib-holders").get_text()


def test_browse_marks_recommended_papers_once_ranked(ada):
    _save(ada, RL[:3])
    soup = BeautifulSoup(ada.get("/?per_page=50").data, "html.parser")
    assert not soup.select(".reco-mark")                  # nothing ranked yet: browse never trains
    top = [p["id"] for p in _api(ada, "?n=100")["papers"]]
    soup = BeautifulSoup(ada.get("/?per_page=50").data, "html.parser")
    marked = {a.find_parent(class_="paper-card")["data-paper-id"] for a in soup.select(".reco-mark")}
    assert marked and "2405.99999" in marked
    assert marked <= set(top) and not marked & set(RL[:3])


def test_recommended_marks_follow_a_dismissal_at_once(ada):
    """The marks are kept per trained ranking; dismissing a marked paper makes a new ranking,
    and the next page no longer marks it."""
    _save(ada, RL[:3])
    _api(ada, "?n=100")

    def marked() -> set[str]:
        soup = BeautifulSoup(ada.get("/?per_page=50").data, "html.parser")
        return {a.find_parent(class_="paper-card")["data-paper-id"] for a in soup.select(".reco-mark")}

    first = marked()
    assert "2405.99999" in first and marked() == first
    post_json(ada, "/library/papers/2405.99999/not-interested")
    _api(ada, "?n=100")
    again = marked()
    assert again and "2405.99999" not in again
