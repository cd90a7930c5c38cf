"""Logged-out visitors get whole pages from the cache; nobody ever gets someone else's page,
and new papers, a new index or a library change show at once."""

from __future__ import annotations

from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event

from ingest import indexing
from store.fulltext import record_result
from store.library import add_to_library
from store.papers import change_mark
from store.users import create_user
from tests.factories import add_papers, record
from web.page_cache import HEADER

PASSWORD = "correct horse battery"
PAGES = ["/", "/?cat=cs.LG", "/paper/2402.00001", "/search?q=graph+neural", "/trends?q=graph", "/top"]


@pytest.fixture
def site(app):
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *[record(id=f"2402.{n:05d}", published=datetime(2024, 2, n)) for n in range(1, 9)])
    indexing.build(engine, app.config["SETTINGS"])
    return app


def _titles(response) -> list[str]:
    soup = BeautifulSoup(response.data, "html.parser")
    return [h.get_text(strip=True) for h in soup.select(".paper-card .card-title")]


def _login(client, name: str) -> None:
    token = BeautifulSoup(client.get("/login").data, "html.parser").select_one(
        "input[name=csrf_token]")["value"]
    response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("path", PAGES)
def test_a_second_visitor_gets_the_same_page_from_the_cache(site, path):
    first = site.test_client().get(path)
    second = site.test_client().get(path)
    assert first.status_code == second.status_code == 200
    assert (first.headers[HEADER], second.headers[HEADER]) == ("miss", "hit")
    assert second.data == first.data
    assert "Cookie" in second.headers["Vary"]
    # a cached page sets no cookie and hands out no CSRF token
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    assert b"csrf" not in second.data


def test_new_papers_show_at_once(site):
    client = site.test_client()
    before = _titles(client.get("/"))
    add_papers(site.extensions["papersift.engine"],
               record(id="2403.00001", title="A brand new paper", published=datetime(2024, 3, 1)))
    after = client.get("/")
    assert after.headers[HEADER] == "miss"
    assert _titles(after) == ["A brand new paper", *before][:len(_titles(after))]


def test_a_new_index_shows_in_search_at_once(site):
    client = site.test_client()
    assert b"Diffusion models for protein folding" not in client.get("/search?q=protein+folding").data
    engine = site.extensions["papersift.engine"]
    add_papers(engine, record(id="2403.00002", title="Diffusion models for protein folding",
                              abstract="Protein folding with diffusion.", published=datetime(2024, 3, 2)))
    indexing.build(engine, site.config["SETTINGS"])
    site.extensions["papersift.index"].reload()
    assert b"Diffusion models for protein folding" in client.get("/search?q=protein+folding").data


def test_a_new_full_text_shows_on_the_paper_page_at_once(site):
    client = site.test_client()
    page = BeautifulSoup(client.get("/paper/2402.00001").data, "html.parser")
    assert page.select_one(".fulltext-fact")["data-status"] == "none"
    with site.extensions["papersift.engine"].begin() as conn:
        record_result(conn, "2402.00001", 1, status="ok", text="Some extracted words. " * 50, pages=3)
    after = client.get("/paper/2402.00001")
    assert after.headers[HEADER] == "miss"
    fact = BeautifulSoup(after.data, "html.parser").select_one(".fulltext-fact")
    assert fact["data-status"] == "ok" and "from 3 pages" in fact.get_text()


def test_the_page_key_reads_no_table_from_end_to_end(site):
    """The key is looked up on every visitor's page: its queries take one end of an index or
    one row, so its cost does not grow with the store (SQLite's plans; PostgreSQL plans by
    size)."""
    engine = site.extensions["papersift.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("query plans checked on SQLite; PostgreSQL's depend on table statistics")
    seen: list[tuple[str, tuple]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with site.test_request_context("/"), engine.connect() as conn:
        event.listen(engine, "before_cursor_execute", keep)
        try:
            change_mark(conn)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        plans = [" ".join(row[-1] for row in conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters)) for statement, parameters in seen]
    assert len(plans) == 2
    for plan in plans:
        assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), plan


def test_a_save_updates_the_paper_pages_library_count_at_once(site):
    client = site.test_client()
    assert b"in fewer than 3 libraries" in client.get("/paper/2402.00001").data
    with site.extensions["papersift.engine"].begin() as conn:
        for name in ("ada", "bob", "cy"):              # counts show from 3 libraries on (privacy)
            add_to_library(conn, create_user(conn, name, PASSWORD).id, ["2402.00001"])
    assert b"in 3 libraries" in client.get("/paper/2402.00001").data


def test_logged_in_pages_are_never_cached_nor_served_from_the_cache(site):
    with site.extensions["papersift.engine"].begin() as conn:
        create_user(conn, "ada", PASSWORD)
    visitor = site.test_client()
    assert visitor.get("/").headers[HEADER] == "miss"
    ada = site.test_client()
    _login(ada, "ada")
    page = ada.get("/")
    assert HEADER not in page.headers
    assert page.cache_control.private and "Cookie" in page.headers["Vary"]     # no shared cache keeps it
    assert b"ada" in page.data and b'name="csrf-token"' in page.data
    # ada's rendering was not stored: the next visitor gets the visitors' page
    again = site.test_client().get("/")
    assert again.headers[HEADER] == "hit" and b'name="csrf-token"' not in again.data


def test_a_waiting_message_is_shown_not_swallowed_by_the_cache(site):
    with site.extensions["papersift.engine"].begin() as conn:
        create_user(conn, "ada", PASSWORD)
    site.test_client().get("/")                      # the visitors' page is cached
    client = site.test_client()
    _login(client, "ada")
    token = BeautifulSoup(client.get("/").data, "html.parser").select_one(
        "meta[name=csrf-token]")["content"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    page = client.get("/")
    assert HEADER not in page.headers and b"You are logged out." in page.data
    assert client.get("/").headers[HEADER] == "hit"    # shown once, then the shared page


@pytest.mark.parametrize("path", ["/?utm_source=x", "/?cat=cs.LG&cat=cs.CV", "/search?q=" + "graph+" * 120])
def test_made_up_urls_are_served_but_not_stored(site, path):
    client = site.test_client()
    first, second = client.get(path), client.get(path)
    assert first.status_code == second.status_code == 200
    assert HEADER not in first.headers and HEADER not in second.headers


@pytest.mark.parametrize("path", ["/search?q=graph&sort=random", "/?window=fortnight", "/paper/9999.99999"])
def test_errors_are_not_cached(site, path):
    client = site.test_client()
    first, second = client.get(path), client.get(path)
    assert first.status_code == second.status_code >= 400
    assert HEADER not in first.headers and HEADER not in second.headers


def test_the_page_cache_can_be_turned_off(make_app):
    app = make_app(page_cache_seconds=0)
    add_papers(app.extensions["papersift.engine"], record())
    client = app.test_client()
    assert [HEADER in client.get("/").headers for _ in range(2)] == [False, False]


def test_a_forged_host_header_cannot_plant_links_in_a_shared_page(site):
    forged = site.test_client().get("/trends?q=graph", headers={"Host": "evil.example"})
    assert forged.status_code == 200 and b"evil.example" not in forged.data
    page = site.test_client().get("/trends?q=graph")
    share = BeautifulSoup(page.data, "html.parser").select_one("a.trend-share")["href"]
    assert share.startswith(site.config["SETTINGS"].base_url) and b"evil.example" not in page.data


def test_a_page_carrying_a_visitors_csrf_token_is_not_stored(site):
    from flask import render_template_string

    from web.page_cache import cached_for_visitors

    @cached_for_visitors
    def with_token():
        return render_template_string('<form><input name="csrf_token" value="{{ csrf_token() }}"></form>')

    site.add_url_rule("/with-token", "with_token", with_token)
    visitor = site.test_client()
    visitor.get("/login")                        # the session now holds a token already
    first = visitor.get("/with-token")
    assert HEADER not in first.headers
    other = site.test_client().get("/with-token")
    assert HEADER not in other.headers
    assert _token(other) != _token(first)


def _token(response) -> str:
    return BeautifulSoup(response.data, "html.parser").select_one("input[name=csrf_token]")["value"]
