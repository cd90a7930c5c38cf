"""Serving the semantic layer across index swaps and setting changes: old versions are freed,
a version that cannot be loaded does not take the site down, and cached pages follow the
configured encoder."""

from __future__ import annotations

import dataclasses
import gc
import weakref

from bs4 import BeautifulSoup

from ingest import indexing
from services import index_holder, semantic
from services.index_holder import holder_of
from services.recommendations import category_mask
from tests.semantic.corpus import PARAPHRASE_TITLE, QUESTION
from tests.semantic.test_web import RL_LIBRARY, _app, _embed, no_recheck_delay  # noqa: F401
from web.page_cache import HEADER


def _rebuild(app) -> None:
    indexing.build(app.extensions["papersift.engine"], app.config["SETTINGS"], force=True)


def test_a_swapped_out_index_version_is_freed(make_app):
    app = _app(make_app)
    _embed(app)
    holder = holder_of(app.extensions, app.config["SETTINGS"])
    old = holder.get()
    assert category_mask(old, "cs.LG").any() and semantic.vectors_of(old) is not None
    assert app.test_client().get("/api/search", query_string={"q": QUESTION}).status_code == 200
    old_ref = weakref.ref(old)
    del old

    _rebuild(app)
    holder.reload()
    new = holder.get()
    gc.collect()
    assert new is not None and old_ref() is None   # its matrices, maps and vectors are released


def test_a_version_that_fails_to_load_leaves_the_previous_one_serving(make_app, monkeypatch):
    app = _app(make_app)
    holder = holder_of(app.extensions, app.config["SETTINGS"])
    version, serving = holder.current()
    assert serving is not None and serving.version == version

    def removed_while_loading(root):
        raise FileNotFoundError(f"{root}/v-new/meta.json")

    _rebuild(app)
    monkeypatch.setattr(index_holder, "load_index", removed_while_loading)
    holder.reload()
    assert holder.current() == (version, serving)
    response = app.test_client().get("/api/search", query_string={"q": "policy gradient"})
    assert response.status_code == 200 and response.get_json()["total"] > 0

    monkeypatch.undo()
    holder.reload()
    new_version, new = holder.current()
    assert new_version != version and new.version == new_version


def test_turning_the_encoder_off_stops_serving_cached_hybrid_pages(make_app):
    app = _app(make_app)
    _embed(app)
    path = f"/search?q={QUESTION.replace(' ', '+')}"
    hybrid = app.test_client().get(path)
    assert hybrid.headers[HEADER] == "miss" and PARAPHRASE_TITLE in hybrid.text
    assert app.test_client().get(path).headers[HEADER] == "hit"

    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], embedding_encoder="none")
    lexical = app.test_client().get(path)
    assert lexical.headers[HEADER] == "miss"
    page = BeautifulSoup(lexical.text, "html.parser")
    assert PARAPHRASE_TITLE not in page.text
    assert "not available on this installation" in page.select_one(".semantic-note").text


def test_vectors_landing_mid_request_never_store_a_hybrid_ranking_under_the_lexical_key(
        make_app, monkeypatch):
    """The 2 s recheck can find vectors between computing the key and training: both must
    use the same answer, or a wrong ranking is served from the cache for a week."""
    from services import recommendations
    from services.cache import MemoryCache
    from services.recommendations import TrainingSets, cache_key, get_ranking

    app = _app(make_app)
    _embed(app)
    index = holder_of(app.extensions, app.config["SETTINGS"]).get()
    settings = app.config["SETTINGS"]
    vectors = semantic.vectors_of(index)
    answers = iter([None, vectors, vectors])               # lexical first, then they land
    monkeypatch.setattr(recommendations, "vectors_of", lambda _index: next(answers))
    sets = TrainingSets(tuple(RL_LIBRARY), (), frozenset(RL_LIBRARY))
    cache = MemoryCache()

    ranking = get_ranking(index, sets, settings, cache, trainer=None)
    assert ranking.vec_coef is None                        # trained as keyed: lexical
    assert cache.get(cache_key(index, sets, settings, None)).vec_coef is None
    assert cache.get(cache_key(index, sets, settings, vectors)) is None
    hybrid = get_ranking(index, sets, settings, cache, trainer=None)
    assert hybrid.vec_coef is not None
    assert cache.get(cache_key(index, sets, settings, vectors)).vec_coef is not None


def _walk(client, q: str, per_page: int) -> tuple[list[str], list[dict]]:
    shown, pages = [], []
    for number in range(1, 100):
        body = client.get("/api/search", query_string={"q": q, "per_page": per_page,
                                                       "page": number}).get_json()
        pages.append(body)
        if not body["results"]:
            break
        shown += [hit["paper"]["id"] for hit in body["results"]]
    return shown, pages


def test_walking_every_page_of_a_fused_query_shows_each_match_once(make_app, monkeypatch):
    from services import semantic_search

    monkeypatch.setattr(semantic_search, "FUSION_DEPTH", 4)   # pages past the fused head
    app = _app(make_app)
    client = app.test_client()
    q = "policy gradient learning for robots"
    lexical, _ = _walk(client, q, 50)                         # before vectors: words only
    _embed(app)
    shown, pages = _walk(client, q, 3)

    assert len(shown) == len(set(shown)) == pages[0]["total"] > 4
    assert all(body["total"] == pages[0]["total"] for body in pages)
    assert set(lexical) <= set(shown)                         # no word match is lost
    assert all(body["semantic"] and body["score_kind"] == "rrf" for body in pages)
    scores = [hit["score"] for body in pages for hit in body["results"]]
    assert scores == sorted(scores, reverse=True)             # one ranking across the pages
    page = BeautifulSoup(client.get("/search", query_string={"q": q}).text, "html.parser")
    count = " ".join(page.select_one(".search-count").text.split())
    # papers matching the words below the fused head are not counted as "close in meaning"
    assert (f"{len(lexical)} by their words, {len(shown) - len(lexical)} more close in meaning"
            in count)


def test_the_api_says_which_pages_were_ranked_by_meaning_and_what_scores_are(make_app):
    app = _app(make_app)
    _embed(app)
    client = app.test_client()

    def ask(**params) -> dict:
        return client.get("/api/search", query_string=params).get_json()

    words = ask(q="policy gradient")
    assert (words["semantic"], words["score_kind"]) == (True, "rrf")
    assert words["results"][0]["score"] < 0.05
    for exact in (ask(q='"trial and error"'), ask(q="author:Smith policy"),
                  ask(q="policy gradient", sort="date")):
        assert (exact["semantic"], exact["score_kind"]) == (False, "bm25")
    lexical_app = make_app(RECOMMEND_SYNC=True, embedding_encoder="none")
    lexical = lexical_app.test_client().get("/api/search", query_string={"q": "policy gradient"})
    assert lexical.get_json()["score_kind"] == "bm25" and lexical.get_json()["semantic"] is False
    assert lexical.get_json()["results"][0]["score"] > 1
