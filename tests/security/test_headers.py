"""Security headers on HTML, JSON, feeds, files and errors, and pages that satisfy the CSP
(issue 15, item 3). The browser tests (tests/e2e) check the same with Chromium's console."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.factories import add_papers, record
from tests.helpers.accounts import login

PATHS = ["/", "/paper/2401.00001", "/search?q=graph", "/trends?q=graph", "/top", "/login",
         "/register", "/api/papers", "/api/papers/2401.00001", "/api/search?q=graph", "/healthz",
         "/feed/category/cs.LG", "/feed/category/cs.LG.rss", "/trends.csv?q=graph",
         "/static/css/site.css", "/no-such-page", "/api/library"]


@pytest.fixture
def site(app, client):
    add_papers(app.extensions["papersift.engine"], record(id="2401.00001"), record(id="2401.00002"))
    return client


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(site, path):
    response = site.get(path)
    response.close()                                                  # static files are streamed
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]      # never for scripts or <style>
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers        # the site is plain http here


def test_logged_in_pages_carry_them_too(app, site, user):
    login(site, "ada")
    for path in ("/account", "/library", "/api/library", "/library/export.bib"):
        response = site.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" in response.headers, path


def test_hsts_when_the_site_is_https(make_app):
    app = make_app(base_url="https://papers.example.org")
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("path", ["/", "/paper/2401.00001", "/search?q=graph", "/trends?q=graph",
                                  "/login", "/register"])
def test_pages_have_no_inline_script(site, path):
    """What `script-src 'self'` would block: inline code and event-handler attributes."""
    soup = BeautifulSoup(site.get(path).data, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src") or script.get("type") == "application/json", str(script)[:200]
    for tag in soup.find_all(True):
        handlers = [a for a in tag.attrs if a.lower().startswith("on")]
        assert not handlers, f"{tag.name} has {handlers}"
        assert not str(tag.get("href", "")).lower().startswith("javascript:")
    assert not soup.find_all("style")
