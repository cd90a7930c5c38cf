"""Runs as people see them: the /admin/status page and `papersift status --json`."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from ingest.fetch import fetch_new
from store import runs
from store.users import create_user
from tests.helpers.accounts import login
from tests.helpers.ingest import NOW, settings_for
from tests.ingest.fakearxiv import Fault
from web.db import engine as app_engine


def admin_web(app):
    """A browser logged in as an administrator."""
    with app.app_context(), app_engine().begin() as conn:
        create_user(conn, "root", "correct horse battery", is_admin=True)
    web = app.test_client()
    assert login(web, "root").status_code == 302
    return web


def test_status_page_is_for_administrators(app):
    web = app.test_client()
    response = web.get("/admin/status")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context(), app_engine().begin() as conn:
        create_user(conn, "ada", "correct horse battery")
    assert login(web, "ada").status_code == 302
    assert web.get("/admin/status").status_code == 403
    assert admin_web(app).get("/admin/status").status_code == 200


def _fill(app, fake, client):
    with app.app_context():
        eng = app_engine()
        settings = settings_for(app.config["SETTINGS"].data_dir, fake)
        ok = fetch_new(eng, settings, client=client, now=NOW)
        for n in range(len(fake.requests) + 1, len(fake.requests) + 5):
            fake.faults[n] = Fault("status", status=503)
        fake.bump(fake.entries[0].id, at=NOW)
        failed = fetch_new(eng, settings, client=client, now=NOW)
    return ok, failed


def test_status_page_lists_runs_newest_first(app, fake, client):
    ok, failed = _fill(app, fake, client)
    page = admin_web(app).get("/admin/status")
    assert page.status_code == 200
    soup = BeautifulSoup(page.data, "html.parser")
    rows = soup.select("table.runs tbody tr")
    assert [r["id"] for r in rows] == [f"run-{failed.run_id}", f"run-{ok.run_id}"]
    first = [td.get_text(strip=True) for td in rows[0].find_all("td")]
    assert first[1:3] == ["fetch", "failed"]
    assert "HTTP 503" in first[-1]
    second = [td.get_text(strip=True) for td in rows[1].find_all("td")]
    assert second[2] == "ok" and second[6] == "40"


def test_status_page_filters_and_rejects_bad_parameters(app, fake, client):
    _fill(app, fake, client)
    web = admin_web(app)
    only_import = BeautifulSoup(web.get("/admin/status?kind=import").data, "html.parser")
    assert only_import.select("table.runs") == [] and "No runs yet" in only_import.get_text()
    assert web.get("/admin/status?kind=nope").status_code == 400
    assert web.get("/admin/status?limit=abc").status_code == 400
    one = BeautifulSoup(web.get("/admin/status?limit=1").data, "html.parser")
    assert len(one.select("table.runs tbody tr")) == 1


def test_run_messages_are_escaped(app):
    with app.app_context(), app_engine().begin() as conn:
        run_id = runs.record_run_start(conn, "fetch")
        runs.finish_run(conn, run_id, "failed", message="<script>alert(1)</script>")
    body = admin_web(app).get("/admin/status").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_status_json_shows_the_last_fetch_runs(app, fake, client, runner):
    ok, failed = _fill(app, fake, client)
    result = runner.invoke(args=["status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert [(r["id"], r["kind"], r["status"]) for r in status["runs"]] == [
        (failed.run_id, "fetch", "failed"), (ok.run_id, "fetch", "ok")]
    assert status["runs"][1]["new"] == 40 and status["runs"][1]["requests"] == 4
