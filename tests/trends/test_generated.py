"""The issue's target on a generated Kaggle-shaped corpus, through import, index and API:
planted hot, cooling and emerging topics are in their lists' top 5, and no top 5 holds
two variants of one term."""

from __future__ import annotations

import pytest

from tests.trends.kaggle import EMERGING, write_kaggle


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from app import create_app
    from ingest import indexing
    from ingest.pipeline import import_files

    data_dir = tmp_path_factory.mktemp("trends-kaggle")
    app = create_app({"data_dir": str(data_dir), "scheduler_enabled": False, "TESTING": True})
    engine = app.extensions["papersift.engine"]
    summary = import_files(engine, [write_kaggle(data_dir / "snapshot.jsonl")], progress=False)
    assert summary.new == 24 * 60 and summary.rejected == 0, summary.rejected_examples
    indexing.build(engine, app.config["SETTINGS"], force=True)
    yield app.test_client()
    engine.dispose()


@pytest.fixture(scope="module")
def body(client):
    return client.get("/api/hot?n=5").get_json()


def test_windows_are_the_last_six_months_against_the_year_before(body):
    assert body["month"] == "2024-12"
    assert body["windows"]["recent"] == {"start": "2024-07", "end": "2024-12", "months": 6, "papers": 360}
    assert body["windows"]["baseline"]["start"] == "2023-07"


def test_planted_topics_are_in_the_top_five(body):
    assert "gaussian splatting" in [i["term"] for i in body["hot"]]
    assert "fractalnet" in [i["term"] for i in body["cooling"]]
    assert EMERGING in [i["term"] for i in body["emerging"]]


def test_no_top_five_holds_two_variants_of_one_term(body):
    for key in ("hot", "cooling", "emerging"):
        words = [set(i["term"].split(" ")) for i in body[key]]
        for a in range(len(words)):
            for b in range(a + 1, len(words)):
                assert not words[a] & words[b], (key, body[key][a]["term"], body[key][b]["term"])


def test_the_folded_variants_are_shown_with_their_topic(body):
    fractalnet = next(i for i in body["cooling"] if i["term"] == "fractalnet")
    assert {"fractalnet based", "propose fractalnet", "fractalnet paper"} <= set(fractalnet["variants"])
    splatting = next(i for i in body["hot"] if i["term"] == "gaussian splatting")
    assert "splatting" in splatting["variants"]


def test_the_page_shows_variants_in_small_print_and_first_months(client):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get("/trends?n=5").data, "html.parser")
    cooling = soup.select(".hot-cooling li")
    first = next(li for li in cooling if li.select_one(".hot-term").get_text() == "fractalnet")
    assert "fractalnet based" in first.select_one("small.hot-variants").get_text()
    emerging = {li.select_one(".hot-term").get_text(): li.select_one(".hot-ratio").get_text(strip=True)
                for li in soup.select(".hot-emerging li")}
    assert emerging[EMERGING] == "2024-09"


def test_the_lists_are_rendered_once_for_any_keywords_and_keep_the_links_arguments(client):
    from bs4 import BeautifulSoup
    from flask import template_rendered

    rendered: list[str] = []

    def note(sender, template, context, **extra):
        if template.name == "trends/_hot_lists.html":
            rendered.append(template.name)

    with template_rendered.connected_to(note, client.application):
        first = BeautifulSoup(client.get("/trends?q=transformer&n=5&smooth=2").data, "html.parser")
        again = BeautifulSoup(client.get("/trends?q=diffusion&n=5&smooth=2").data, "html.parser")
        assert len(rendered) == 1                     # other keywords: the same lists, from the cache
        assert first.select_one(".hot-grid") == again.select_one(".hot-grid")
        links = [a["href"] for a in again.select(".hot-list a.hot-term")]
        assert "/trends?q=gaussian+splatting&smooth=2" in links
        assert all("smooth=2" in href for href in links)
        other = BeautifulSoup(client.get("/trends?n=5&smooth=3").data, "html.parser")
        assert len(rendered) == 2                     # the links' arguments are part of the key
        assert all("smooth=3" in a["href"] for a in other.select(".hot-list a.hot-term"))
