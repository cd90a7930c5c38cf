"""services.search outside Flask: what `papersift search`, digests and the MCP tools run."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from recommend.index import load_index
from recommend.search_query import QueryError
from services.params import InvalidArgument
from services.search import SearchRequest, run_search, search_request


def test_a_search_runs_on_a_connection_and_an_index_without_an_app_context(sample_app):
    settings = sample_app.config["SETTINGS"]
    index = load_index(settings.index_dir)
    with sample_app.extensions["papersift.engine"].connect() as conn:
        page = run_search(conn, index, SearchRequest(q="diffusion", per_page=3))
        bad = SearchRequest(q="year:abcd")
        with pytest.raises(QueryError):
            run_search(conn, index, bad)
        unbuilt = run_search(conn, None, SearchRequest(q="diffusion"))
    assert page.total > 3 and len(page.hits) == 3
    assert all(any(s.hit for s in h.snippet) for h in page.hits)
    assert not unbuilt.indexed and "papersift index" in unbuilt.error_hint


def test_bad_parameters_say_what_is_wrong():
    with pytest.raises(InvalidArgument, match="window must be one of"):
        search_request(MultiDict({"q": "graph", "window": "decade"}))
    with pytest.raises(InvalidArgument, match="per_page must be between 1 and 200"):
        search_request(MultiDict({"q": "graph", "per_page": "0"}))
    assert search_request(MultiDict({"q": "graph", "sort": "date"})).sort == "date"
