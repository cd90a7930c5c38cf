"""Private data is not cached, and Top does not show what one person saved (issue 15, item 7)."""

from __future__ import annotations

from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from store.library import add_to_library
from store.users import find_user
from tests.factories import add_papers, record
from tests.helpers.accounts import login, make_user, post_json

PRIVATE = ["/api/library", "/library/export.bib", "/library/export.json", "/api/recommendations"]


@pytest.mark.parametrize("path", PRIVATE)
def test_logged_in_json_and_exports_are_private_and_not_stored(app, logged_in, path):
    add_papers(app.extensions["papersift.engine"], record(id="2401.00001"))
    post_json(logged_in, "/library/papers/2401.00001/add")
    response = logged_in.get(path)
    assert response.status_code == 200, path
    assert response.cache_control.private and response.cache_control.no_store, \
        response.headers.get("Cache-Control")
    assert not response.cache_control.public
    assert "Cookie" in response.headers.get("Vary", "")


def test_logged_in_pages_are_private(app, logged_in):
    response = logged_in.get("/library")
    assert response.cache_control.private


def _site(make_app, **settings):
    app = make_app(**settings)
    add_papers(app.extensions["papersift.engine"],
               *[record(id=f"2401.{n:05d}", published=datetime(2024, 1, n)) for n in range(1, 4)])
    return app


def _save(app, name: str, paper_ids: list[str]) -> None:
    with app.extensions["papersift.engine"].begin() as conn:
        user = find_user(conn, name) or None
        add_to_library(conn, user.id, paper_ids)


def _top_ids(app, window: str = "day") -> list[str]:
    soup = BeautifulSoup(app.test_client().get(f"/top?window={window}").data, "html.parser")
    return [c["data-paper-id"] for c in soup.select(".top-cards .paper-card")]


def _holders_text(app, paper_id: str) -> str:
    soup = BeautifulSoup(app.test_client().get(f"/paper/{paper_id}").data, "html.parser")
    return soup.select_one(".lib-holders").get_text()


def test_top_lists_only_papers_in_at_least_three_libraries(make_app):
    app = _site(make_app)
    for name in ("ada", "bob", "cy"):
        make_user(app, name)
    _save(app, "ada", ["2401.00001", "2401.00002"])     # one person's saves of today
    assert _top_ids(app) == [] and _top_ids(app, "all") == []
    assert "in fewer than 3 libraries" in _holders_text(app, "2401.00001")
    _save(app, "bob", ["2401.00001"])
    _save(app, "cy", ["2401.00001"])
    assert _top_ids(app) == ["2401.00001"]
    assert "in 3 libraries" in _holders_text(app, "2401.00001")
    assert "in fewer than 3 libraries" in _holders_text(app, "2401.00002")


def test_the_threshold_is_a_setting(make_app):
    app = _site(make_app, min_library_count=1)
    make_user(app, "ada")
    _save(app, "ada", ["2401.00002"])
    assert _top_ids(app) == ["2401.00002"]
    assert "in 1 library" in _holders_text(app, "2401.00002")
    assert "in 0 libraries" in _holders_text(app, "2401.00001")


def test_logged_in_viewers_see_the_threshold_too(make_app):
    app = _site(make_app)
    make_user(app, "ada")
    _save(app, "ada", ["2401.00001"])
    client = app.test_client()
    login(client, "ada")
    soup = BeautifulSoup(client.get("/paper/2401.00001").data, "html.parser")
    assert "in fewer than 3 libraries" in soup.select_one(".lib-holders").get_text()
