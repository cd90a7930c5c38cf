from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from tests.factories import add_papers, record


@pytest.fixture
def store(app):
    engine = app.extensions["papersift.engine"]
    add_papers(
        engine,
        record(id="2404.00001", title="Newest vision paper", categories=["cs.CV", "cs.LG"],
               published=datetime(2024, 4, 30)),
        record(id="2404.00002", title="Language paper last week", categories=["cs.CL"],
               published=datetime(2024, 4, 24)),
        record(id="2403.00003", title="Older learning paper", categories=["cs.LG"],
               published=datetime(2024, 3, 1)),
        record(id="2301.00004v3", title="Revised this week", categories=["cs.LG"],
               published=datetime(2023, 1, 10), updated=datetime(2024, 4, 29)),
    )
    return engine


def titles(response) -> list[str]:
    soup = BeautifulSoup(response.data, "html.parser")
    return [h.get_text(strip=True) for h in soup.select(".paper-card .card-title")]


def test_browse_lists_newest_first(client, store):
    response = client.get("/")
    assert response.status_code == 200
    assert titles(response) == ["Newest vision paper", "Revised this week",
                                "Language paper last week", "Older learning paper"]


def test_category_filter_matches_any_listed_category(client, store):
    assert titles(client.get("/?cat=cs.CV")) == ["Newest vision paper"]
    assert set(titles(client.get("/?cat=cs.LG"))) == {
        "Newest vision paper", "Older learning paper", "Revised this week"}


def test_time_window_counts_back_from_the_newest_paper(client, store):
    assert titles(client.get("/?window=week")) == [
        "Newest vision paper", "Revised this week", "Language paper last week"]
    assert titles(client.get("/?window=day")) == ["Newest vision paper", "Revised this week"]


def test_new_only_hides_revisions(client, store):
    assert titles(client.get("/?window=week&show=new")) == [
        "Newest vision paper", "Language paper last week"]
    assert "Revised this week" not in titles(client.get("/?show=new"))


def test_paging(client, store):
    first = titles(client.get("/?per_page=3"))
    second = titles(client.get("/?per_page=3&page=2"))
    assert len(first) == 3 and second == ["Older learning paper"]
    assert client.get("/?per_page=3&page=9").status_code == 200


@pytest.mark.parametrize("query", ["page=0", "page=abc", "window=decade", "show=maybe",
                                   "cat=<script>", "per_page=100000"])
def test_bad_filters_are_a_400_with_a_message(client, store, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert b"<script>" not in response.data


def test_empty_store_explains_what_to_do(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"papersift import" in response.data


def test_html_in_a_title_is_escaped(client, app):
    add_papers(app.extensions["papersift.engine"],
               record(title="<img src=x onerror=alert(1)> attack"))
    response = client.get("/")
    assert b"<img src=x" not in response.data
    assert b"&lt;img src=x onerror=alert(1)&gt; attack" in response.data


def test_the_site_has_an_icon_where_browsers_look(client):
    from bs4 import BeautifulSoup

    with client.get("/favicon.ico") as ico:
        assert ico.status_code == 200 and ico.mimetype == "image/vnd.microsoft.icon"
        assert ico.data[:4] == b"\x00\x00\x01\x00"                 # an ICO file
    page = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    icons = [link["href"] for link in page.select('link[rel="icon"]')]
    assert len(icons) == 2
    for href in icons:
        with client.get(href) as served:
            assert served.status_code == 200 and served.mimetype.startswith("image/"), href


def test_a_large_filtered_count_says_more_than(client, store, monkeypatch):
    import services.papers

    monkeypatch.setattr(services.papers, "BROWSE_COUNT_CAP", 1)
    page = BeautifulSoup(client.get("/?cat=cs.LG").data, "html.parser")
    assert page.select_one(".page-head .muted").get_text(" ", strip=True).startswith(
        "More than 1 paper")
    assert len(titles(client.get("/?cat=cs.LG"))) == 3
    body = client.get("/api/papers", query_string={"cat": "cs.LG"}).get_json()
    assert body["total"] == 1 and body["more"] is True and len(body["papers"]) == 3
    everything = client.get("/api/papers").get_json()   # the whole store: exact at any size
    assert everything["total"] == 4 and everything["more"] is False
