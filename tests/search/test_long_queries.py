"""A pasted abstract (query by example) works end to end: by GET within gunicorn's request
line, by POST to /api/search beyond it, and an over-long text gets a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from bs4 import BeautifulSoup

from cli.serve import gunicorn_argv
from recommend.search_query import MAX_QUERY_CHARS
from tests.procs import free_port, stop

GUNICORN_DEFAULT_LINE = 4094


def pasted_abstract(sample_records, chars: int = 1500) -> str:
    """Real abstract text of `chars` characters, as someone would paste it."""
    text = " ".join(r["summary"] for r in sample_records[:10])
    return " ".join(text.split())[:chars]


def search_box_chars(client) -> int:
    """The most characters the site's search box takes (its maxlength)."""
    page = BeautifulSoup(client.get("/search?q=graph").data, "html.parser")
    limits = {int(box["maxlength"]) for box in page.select('input[name="q"][maxlength]')}
    assert len(limits) == 1
    return limits.pop()


def test_a_pasted_abstract_by_post_form_or_json(sample_client, sample_records):
    text = pasted_abstract(sample_records)
    by_get = sample_client.get("/api/search", query_string={"q": text}).get_json()
    by_form = sample_client.post("/api/search", data={"q": text}).get_json()
    by_json = sample_client.post("/api/search", json={"q": text, "per_page": 5}).get_json()
    assert by_form["mode"] == by_json["mode"] == "like" and by_form["total"] > 0
    assert by_form["results"] == by_get["results"]
    assert [r["paper"]["id"] for r in by_json["results"]] == [
        r["paper"]["id"] for r in by_get["results"][:5]]


def test_a_post_with_a_bad_body_or_an_over_long_text_gets_a_clear_400(sample_client):
    not_object = sample_client.post("/api/search", json=["graph"])
    assert not_object.status_code == 400 and "JSON body" in not_object.get_json()["message"]
    too_long = sample_client.post("/api/search", data={"q": "word " * MAX_QUERY_CHARS})
    assert too_long.status_code == 400 and "too long" in too_long.get_json()["message"]


def _request(url: str, body: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _serve(settings) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PAPERSIFT_", "DATABASE_URL", "REDIS_URL"))}
    env.update(PAPERSIFT_DATA_DIR=str(settings.data_path), PAPERSIFT_SCHEDULER="0",
               DATABASE_URL=settings.db_url)
    port = free_port()
    proc = subprocess.Popen(gunicorn_argv("127.0.0.1", port, 1), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if _request(f"{base}/healthz")[0] == 200:
                return proc, base
        except OSError:
            time.sleep(0.25)
    stop(proc)
    raise AssertionError("gunicorn did not start")


@pytest.mark.slow
def test_a_pasted_abstract_through_gunicorn(sample_app, sample_records):
    # as much real text as the search box takes, sent the way a browser form sends it
    text = pasted_abstract(sample_records, search_box_chars(sample_app.test_client()))
    for path in (f"/search?{urllib.parse.urlencode({'q': text})}",
                 f"/api/search?q={urllib.parse.quote(text)}"):
        assert len(f"GET {path} HTTP/1.1") > GUNICORN_DEFAULT_LINE   # refused by the default
    proc, base = _serve(sample_app.config["SETTINGS"])
    try:
        status, body = _request(f"{base}/api/search?q={urllib.parse.quote(text)}")
        assert status == 200 and json.loads(body)["mode"] == "like"
        assert json.loads(body)["total"] > 0
        status, body = _request(f"{base}/search?{urllib.parse.urlencode({'q': text})}")
        assert status == 200 and b"like the text you pasted" in body
        longer = f"{text} {text[:4000]}"            # ~9,000 characters: past any URL limit
        status, body = _request(f"{base}/api/search", json.dumps({"q": longer}).encode())
        assert status == 200 and json.loads(body)["mode"] == "like"
        status, body = _request(f"{base}/api/search",
                                json.dumps({"q": "x" * (MAX_QUERY_CHARS + 1)}).encode())
        assert status == 400 and "too long" in json.loads(body)["message"]
    finally:
        stop(proc)
