"""Quoted phrases the index's terms cannot decide (three or more words, or a stop word
inside) are checked in the papers' text."""

from datetime import datetime

import pytest

from ingest import indexing
from recommend.search_query import parse_query
from tests.factories import add_papers, record


def test_every_phrase_is_checked_as_written():
    assert parse_query('"state of the art"').exact == (("state", None, None, "art"),)
    assert parse_query('"large language models"').exact == (("large", "language", "models"),)
    assert parse_query('"of the art"').exact == (("art",),)  # gaps at the ends are trimmed
    # the index's terms are stems, so even a two-word phrase is checked in the text
    assert parse_query('"neural network"').exact == (("neural", "network"),)


@pytest.fixture
def phrase_client(app):
    engine = app.extensions["papersift.engine"]
    add_papers(engine,
               record(id="2405.00001", title="Reaching the state of the art in parsing",
                      published=datetime(2024, 5, 1)),
               record(id="2405.00002", title="The art of keeping state in parsers",
                      published=datetime(2024, 5, 2)),
               record(id="2405.00003", title="Large language models for parsing",
                      published=datetime(2024, 5, 3)),
               record(id="2405.00004", title="Large language tasks need small language models",
                      published=datetime(2024, 5, 4)))
    indexing.build(engine, app.config["SETTINGS"], force=True)
    return app.test_client()


def _ids(client, q: str) -> list[str]:
    body = client.get("/api/search", query_string={"q": q}).get_json()
    return [r["paper"]["id"] for r in body["results"]]


def test_a_phrase_with_stop_words_must_appear_as_written(phrase_client):
    assert _ids(phrase_client, "state art parsing") != []
    assert _ids(phrase_client, '"state of the art"') == ["2405.00001"]


def test_a_long_phrase_must_appear_in_order(phrase_client):
    assert _ids(phrase_client, '"large language models"') == ["2405.00003"]


def test_a_quoted_word_keeps_its_form_while_a_bare_word_takes_any(phrase_client):
    assert _ids(phrase_client, '"parsers"') == ["2405.00002"]
    assert sorted(_ids(phrase_client, "parsers")) == ["2405.00002"]   # stem "parser"
    assert sorted(_ids(phrase_client, "parse")) == ["2405.00001", "2405.00003"]


def test_the_cli_checks_phrases_too(phrase_client, app):
    result = app.test_cli_runner().invoke(args=["search", '"state of the art"', "--json"])
    assert result.exit_code == 0, result.output
    assert '"2405.00001"' in result.output and '"2405.00002"' not in result.output
