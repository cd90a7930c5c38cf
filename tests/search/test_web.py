"""The search page and API: structure, redirects, empty and hostile input, escaping."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ingest import indexing
from recommend.text import stem
from tests.factories import add_papers, record

HOSTILE = [
    "",
    "   ",
    "x" * 10_240,
    "graph " * 2000,
    "(.*)+[a-z]{2,}\\d?^$|",
    '"unbalanced quote',
    'a "b" "c',
    '"""',
    "naïve Bayes 深度学习 Ελληνικά 😀",
    "\u202eevil\u202c rtl",
    "'; DROP TABLE papers; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)> segmentation",
    "%00%27%22",
    "author: cat: id: year:",
    "year:99999 cat:???",
    "id:../../etc/passwd",
    "https://evil.example/abs/2101.01234",
    "//evil.example",
]


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_get_a_page_or_a_400(sample_client, q):
    response = sample_client.get("/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    page = soup(response)
    assert page.find("script", string=lambda s: s and "alert" in s) is None
    assert page.find("img", src="x") is None
    if response.status_code == 400:
        assert page.select_one(".search-error").get_text(strip=True)


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_through_the_api(sample_client, q):
    response = sample_client.get("/api/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    body = response.get_json()
    if response.status_code == 400:
        assert body["status"] == 400 and body["message"]
    else:
        assert isinstance(body["results"], list)


def test_a_10kb_query_is_refused_with_a_message(sample_client):
    response = sample_client.get("/api/search", query_string={"q": "x" * 10_240})
    assert response.status_code == 400
    assert "too long" in response.get_json()["message"]


@pytest.mark.parametrize("params", [{"sort": "random"}, {"page": "0"}, {"page": "abc"},
                                    {"per_page": "5000"}, {"cat": "<b>"}, {"window": "decade"}])
def test_bad_parameters_are_400(sample_client, params):
    assert sample_client.get("/search", query_string={"q": "graph", **params}).status_code == 400
    assert sample_client.get("/api/search", query_string={"q": "graph", **params}).status_code == 400


def test_results_page_shows_cards_with_marked_snippets(sample_client):
    response = sample_client.get("/search?q=knowledge+distillation")
    assert response.status_code == 200
    page = soup(response)
    hits = page.select(".search-hit")
    assert len(hits) == 25
    assert all(h.select_one("article.paper-card h2.card-title a") for h in hits)
    marks = [m.get_text().lower() for m in page.select(".search-snippet mark")]
    assert marks and {"knowledge", "distillation"} <= set(marks)
    assert {stem(m) for m in marks} <= {"knowledg", "distil"}   # every form is marked
    count = page.select_one(".search-count").get_text(" ", strip=True)
    assert "match" in count and "knowledge distillation" in count and "every word" in count
    assert page.select_one('nav.pagination a[rel="next"]')["href"].endswith("page=2")
    header = page.select_one("form.header-search input[name=q]")
    assert header["value"] == "knowledge distillation"


def test_filters_keep_the_query(sample_client):
    page = soup(sample_client.get("/search?q=segmentation&cat=cs.CL&window=year&sort=date"))
    form = page.select_one("form.filters")
    assert form.select_one("input[name=q]")["value"] == "segmentation"
    assert form.select_one("select[name=cat] option[selected]")["value"] == "cs.CL"
    assert form.select_one("select[name=window] option[selected]")["value"] == "year"
    assert form.select_one("select[name=sort] option[selected]")["value"] == "date"
    for card in page.select(".search-hit article"):
        assert "cs.CL" in card.select_one(".card-meta").get_text()


def test_bare_id_and_url_redirect_to_the_paper(sample_client, sample_records):
    pid = sample_records[42]["id"]
    for q in (pid, f"{pid}v2", f"https://arxiv.org/abs/{pid}v1", f"arXiv:{pid}"):
        response = sample_client.get("/search", query_string={"q": q})
        assert response.status_code == 302
        assert response.headers["Location"] == f"/paper/{pid}"


def test_unknown_id_says_so_without_redirecting(sample_client):
    response = sample_client.get("/search?q=2112.99999")
    assert response.status_code == 200
    assert "not in this papersift" in soup(response).select_one(".no-results").get_text()


def test_no_results_page_suggests_a_spelling(sample_client):
    response = sample_client.get("/search", query_string={"q": "tranformer cat:cs.CV"})
    page = soup(response)
    assert response.status_code == 200
    empty = page.select_one(".no-results")
    assert "No papers match" in empty.h2.get_text()
    link = empty.select_one(".did-you-mean a")
    assert link.get_text() == "transformer cat:cs.CV"
    assert "q=transformer+cat:cs.CV" in link["href"]
    assert sample_client.get(link["href"]).status_code == 200


def test_empty_query_explains_the_syntax(sample_client):
    response = sample_client.get("/search")
    assert response.status_code == 200
    assert soup(response).select_one(".search-help dl.search-syntax")


def test_api_shape(sample_client):
    body = sample_client.get("/api/search?q=diffusion+model&per_page=3").get_json()
    assert body["total"] > 3 and body["page"] == 1 and body["per_page"] == 3
    first = body["results"][0]
    assert set(first) == {"paper", "score", "snippet", "snippet_from"}
    assert first["paper"]["id"] and first["score"] > 0
    assert all(set(s) == {"text", "hit"} for s in first["snippet"])


def test_snippet_text_is_escaped(app, client):
    engine = app.extensions["papersift.engine"]
    add_papers(engine,
               record(title="Escaping study",
                      abstract="<img src=x onerror=alert(1)> & <b>diffusion</b> rocks"),
               record(title="Another diffusion paper", abstract="Plain diffusion text."))
    indexing.build(engine, app.config["SETTINGS"], force=True)
    response = client.get("/search?q=diffusion")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    page = soup(response)
    assert page.find("img", src="x") is None and page.select(".search-snippet b") == []
    assert [m.get_text() for m in page.select(".search-snippet mark")].count("diffusion") == 2


def test_without_an_index(client):
    response = client.get("/search?q=graph")
    assert response.status_code == 200
    assert "not ready" in soup(response).select_one(".empty").get_text()
    api = client.get("/api/search?q=graph")
    assert api.status_code == 503 and "papersift index" in api.get_json()["message"]


def test_a_page_past_the_end_links_back(sample_client):
    response = sample_client.get("/search?q=diffusion&page=999")
    assert response.status_code == 200
    empty = soup(response).select_one(".empty")
    assert "No more results" in empty.h2.get_text()
    assert empty.a["href"] == "/search?q=diffusion"


def test_api_with_a_bare_id_returns_that_paper(sample_client, sample_records):
    pid = sample_records[7]["id"]
    body = sample_client.get("/api/search", query_string={"q": f"https://arxiv.org/abs/{pid}v3"}).get_json()
    assert body["total"] == 1 and body["results"][0]["paper"]["id"] == pid


def test_a_rare_misspelling_with_a_few_hits_still_gets_a_suggestion(app, client):
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *[record(title=f"Transformer study {i}", abstract="A transformer model.")
                         for i in range(3)],
               record(title="Typo paper", abstract="A tranformer model."))
    indexing.build(engine, app.config["SETTINGS"], force=True)
    body = client.get("/api/search?q=tranformer").get_json()
    assert body["total"] == 1 and body["suggestions"][0] == "transformer"
    page = soup(client.get("/search?q=tranformer"))
    assert page.select_one(".did-you-mean a").get_text() == "transformer"


def test_snippet_from_the_full_text_when_only_it_holds_the_words(app, client):
    from store.fulltext import record_result

    engine = app.extensions["papersift.engine"]
    paper = record(title="Quiet title", abstract="Nothing relevant in this abstract.")
    add_papers(engine, paper)
    body = ("Introduction. " * 500) + "We measure the zeolite lattice carefully. " + ("More. " * 500)
    with engine.begin() as conn:
        record_result(conn, paper.id, 1, status="ok", text=body)
    indexing.build(engine, app.config["SETTINGS"], force=True)
    result = client.get("/api/search?q=zeolite+lattice").get_json()["results"][0]
    assert result["snippet_from"] == "fulltext"
    assert [s["text"] for s in result["snippet"] if s["hit"]] == ["zeolite", "lattice"]
    page = soup(client.get("/search?q=zeolite"))
    assert page.select_one(".search-snippet .snippet-source").get_text() == "Full text:"


def test_an_index_built_without_search_parts_says_to_rebuild(app, client, monkeypatch):
    engine = app.extensions["papersift.engine"]
    add_papers(engine, record())
    monkeypatch.setattr(indexing, "EXTRA_BUILDERS", [])
    indexing.build(engine, app.config["SETTINGS"], force=True)
    api = client.get("/api/search?q=graph")
    assert api.status_code == 503 and "papersift index --force" in api.get_json()["message"]
    assert "--force" in soup(client.get("/search?q=graph")).select_one(".empty").get_text()
    result = app.test_cli_runner().invoke(args=["search", "graph"])
    assert result.exit_code == 1 and "--force" in result.output


@pytest.mark.parametrize(("q", "reason"), [
    ('"quantum banana computing"', "no paper has the phrase"),
    ("quantum computing author:zzyzxq", "no paper by author:zzyzxq"),
])
def test_no_results_say_why_and_offer_the_words_alone(sample_client, q, reason):
    body = sample_client.get("/api/search", query_string={"q": q}).get_json()
    assert body["total"] == 0 and body["results"] == []
    assert any(reason in r for r in body["reasons"])
    assert len(body["partial_results"]) > 0
    titles = " ".join(r["paper"]["title"] + r["paper"]["abstract"] for r in body["partial_results"])
    assert "quantum" in titles.lower()
    page = soup(sample_client.get("/search", query_string={"q": q}))
    assert reason in page.select_one(".no-results-why").get_text().lower()
    assert page.select(".partial-matches .search-hit")
