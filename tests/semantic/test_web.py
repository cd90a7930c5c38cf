"""What people see: meaning-based search, hybrid recommendations and similar papers once the
vectors are built, lexical results (and a note saying so) before, and status/doctor lines."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ingest import indexing
from ingest.embeddings import embed_current_index
from services import semantic
from tests.factories import add_papers
from tests.helpers.accounts import login, make_user, post_json
from tests.semantic.corpus import PARAPHRASE_ID, PARAPHRASE_TITLE, QUESTION, corpus, rl_ids
from tests.semantic.encoder import HashedWordEncoder

ENCODER = "tests.semantic.encoder:make_encoder"
RL_LIBRARY = ["2405.00000", "2405.00001", "2405.00002"]


@pytest.fixture(autouse=True)
def no_recheck_delay(monkeypatch):
    monkeypatch.setattr(semantic, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(semantic, "_encoders", {})        # each test loads its own encoder


def _app(make_app, encoder: str = ENCODER, **settings):
    app = make_app(RECOMMEND_SYNC=True, embedding_encoder=encoder, **settings)
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *corpus())
    indexing.build(engine, app.config["SETTINGS"], force=True)
    return app


def _embed(app) -> None:
    result = embed_current_index(app.extensions["papersift.engine"], app.config["SETTINGS"],
                                 HashedWordEncoder())
    assert result.status == "built"


def _search(client, q: str) -> dict:
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_json()


def test_a_question_sharing_no_word_finds_its_papers_once_vectors_are_built(make_app):
    app = _app(make_app)
    client = app.test_client()
    before = _search(client, QUESTION)
    assert before["total"] == 0 and before["semantic"] is False
    page = BeautifulSoup(client.get("/search", query_string={"q": QUESTION}).text, "html.parser")
    assert "meaning-based search starts once" in page.select_one(".semantic-note").text

    _embed(app)
    after = _search(client, QUESTION)
    found = [hit["paper"]["id"] for hit in after["results"]]
    assert after["semantic"] is True and after["semantic_note"] == ""
    assert found and set(found) <= rl_ids() and PARAPHRASE_ID in found
    page = BeautifulSoup(client.get("/search", query_string={"q": QUESTION}).text, "html.parser")
    assert page.select_one(".semantic-note") is None
    assert PARAPHRASE_TITLE in page.text
    count = " ".join(page.select_one(".search-count").text.split())
    assert f"{after['total']} papers match" in count
    assert f"0 by their words, {after['total']} more close in meaning, ranked together" in count


def test_phrases_and_field_filters_stay_exact(make_app):
    app = _app(make_app)
    _embed(app)
    client = app.test_client()
    phrase = _search(client, '"trial and error"')
    assert [h["paper"]["id"] for h in phrase["results"]] == [PARAPHRASE_ID]
    assert _search(client, f"cat:cs.CV {QUESTION}")["total"] == 0
    words = _search(client, "policy gradient")       # plain words: both rankings, words first
    top = [h["paper"]["id"] for h in words["results"][:5]]
    assert set(top) <= rl_ids()


def test_without_an_encoder_search_is_lexical_and_says_so(make_app, monkeypatch):
    app = _app(make_app, encoder="none")
    client = app.test_client()
    body = _search(client, QUESTION)
    assert body["total"] == 0 and "not available on this installation" in body["semantic_note"]
    assert _search(client, "policy gradient")["total"] > 0


def test_with_no_default_model_installed_everything_is_lexical(make_app, monkeypatch, tmp_path):
    from recommend import embedding

    monkeypatch.setattr(embedding, "DEFAULT_MODEL", tmp_path / "no-model.npz")
    app = _app(make_app, encoder="")
    client = app.test_client()
    body = _search(client, QUESTION)
    assert body["total"] == 0 and body["semantic"] is False
    assert "not available on this installation" in body["semantic_note"]
    runner = app.test_cli_runner()
    assert "Embeddings: not available (no encoder installed)" in runner.invoke(args=["embed"]).output
    assert "embeddings: not available: lexical only" in runner.invoke(args=["status"]).output
    client.get("/")                                   # pages render as before
    assert client.get(f"/api/papers/{PARAPHRASE_ID}").status_code == 200


def test_papersift_search_fuses_as_the_site_does(make_app):
    app = _app(make_app)
    runner = app.test_cli_runner()
    assert "0 papers match" in runner.invoke(args=["search", QUESTION]).output
    _embed(app)
    out = runner.invoke(args=["search", "--json", QUESTION]).output
    import json
    found = [r["id"] for r in json.loads(out)["results"]]
    assert PARAPHRASE_ID in found and set(found) <= rl_ids()


def _ada(app):
    make_user(app, "ada")
    client = app.test_client()
    assert login(client, "ada").status_code == 302
    for pid in RL_LIBRARY:
        assert post_json(client, f"/library/papers/{pid}/add", {}).status_code == 200
    return client


def test_recommendations_name_the_library_paper_where_meaning_drove_them(make_app):
    app = _app(make_app)
    client = _ada(app)
    lexical = client.get("/api/recommendations").get_json()["papers"]
    assert not any("similar in meaning" in r for p in lexical for r in p["reasons"])
    _embed(app)
    papers = {p["id"]: p for p in client.get("/api/recommendations").get_json()["papers"]}
    top = list(papers)[:len(rl_ids()) - len(RL_LIBRARY)]
    assert PARAPHRASE_ID in top                       # ranked with its topic, not at the bottom
    reasons = papers[PARAPHRASE_ID]["reasons"]
    titles = {f"Study {i} of" for i in range(3)}
    assert reasons[0].startswith("similar in meaning to “Study ")
    assert any(t in reasons[0] for t in titles)
    worded = papers["2405.00004"]["reasons"]          # shares its words with the library
    assert worded and not any("similar in meaning" in r for r in worded)


def test_similar_papers_blend_in_meaning(make_app):
    app = _app(make_app)
    client = app.test_client()
    before = client.get(f"/api/papers/{PARAPHRASE_ID}").get_json()["similar"]
    _embed(app)
    after = [s["id"] for s in client.get(f"/api/papers/{PARAPHRASE_ID}").get_json()["similar"]]
    assert not set(s["id"] for s in before) & (rl_ids() - {PARAPHRASE_ID})
    assert after and set(after[:5]) <= rl_ids()


def test_status_and_doctor_show_coverage_or_lexical_only(make_app):
    app = _app(make_app)
    runner = app.test_cli_runner()
    assert "embeddings: not built yet (model test-hashed-words): lexical only" in \
        runner.invoke(args=["status"]).output
    _embed(app)
    assert "embeddings: 42 of 42 papers (model test-hashed-words)" in runner.invoke(args=["status"]).output
    doctor = runner.invoke(args=["doctor"]).output
    assert "ok    embeddings: 42 of 42 papers (model test-hashed-words)" in doctor
    import json
    as_json = json.loads(runner.invoke(args=["status", "--json"]).output)["embeddings"]
    assert {k: as_json[k] for k in ("state", "model", "covered", "papers", "hybrid")} == {
        "state": "ready", "model": "test-hashed-words", "covered": 42, "papers": 42, "hybrid": True}


def test_status_and_doctor_say_lexical_only_without_an_encoder(make_app):
    runner = _app(make_app, encoder="none").test_cli_runner()
    assert "embeddings: not available: lexical only" in runner.invoke(args=["status"]).output
    assert "warn  embeddings: not available: lexical only" in runner.invoke(args=["doctor"]).output


def test_papersift_embed_command(make_app):
    app = _app(make_app)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["embed"]).output
    assert "42 of 42 papers (model test-hashed-words), 42 papers encoded" in out
    assert "already current" in runner.invoke(args=["embed"]).output
    bad = make_app(embedding_encoder="nosuch:thing").test_cli_runner().invoke(args=["embed"])
    assert bad.exit_code == 1 and "PAPERSIFT_EMBEDDING_ENCODER" in bad.output
    doctor = make_app(embedding_encoder="nosuch:thing").test_cli_runner().invoke(args=["doctor"])
    assert doctor.exit_code == 1
    assert "FAIL  embeddings: PAPERSIFT_EMBEDDING_ENCODER='nosuch:thing'" in doctor.output


def test_the_digest_uses_the_hybrid_recommendations_and_says_why(make_app):
    from services.digest import compose
    from store.feeds import DigestSettings
    from store.users import find_user
    from web.services import current_index

    app = _app(make_app)
    _ada(app)
    _embed(app)
    engine = app.extensions["papersift.engine"]
    with app.app_context(), engine.connect() as conn:
        user = find_user(conn, "ada")
        digest = compose(conn, current_index(), app.config["SETTINGS"],
                         DigestSettings(user.id, "ada", "ada@example.org", "weekly"))
    section = digest.sections[0]
    assert PARAPHRASE_ID in section.notes
    assert section.notes[PARAPHRASE_ID].startswith("similar in meaning to “Study ")


def test_status_survives_a_hand_edited_vectors_file(make_app):
    app = _app(make_app)
    _embed(app)
    from domain import index_files

    settings = app.config["SETTINGS"]
    meta = settings.index_dir / index_files.current_version(settings.index_dir) / "embeddings.json"
    meta.write_text('{"model": "test-hashed-words"}')
    out = app.test_cli_runner().invoke(args=["status"])
    assert out.exit_code == 0 and "embeddings: 0 of 0 papers (model test-hashed-words)" in out.output


def test_similar_papers_in_a_large_corpus_still_blend_in_meaning(make_app, monkeypatch):
    """Past the size where only papers sharing heavier terms are scored by words, the
    embeddings' side still finds the paraphrase's topic, which shares no word with it."""
    import services.papers

    app = _app(make_app)
    _embed(app)
    client = app.test_client()
    everyone = client.get(f"/api/papers/{PARAPHRASE_ID}").get_json()["similar"]
    monkeypatch.setattr(services.papers, "SIMILAR_SCAN_ALL", 0)
    pruned = client.get(f"/api/papers/{PARAPHRASE_ID}").get_json()["similar"]
    assert pruned and set(s["id"] for s in pruned[:5]) <= rl_ids()
    assert [s["id"] for s in pruned[:5]] == [s["id"] for s in everyone[:5]]
