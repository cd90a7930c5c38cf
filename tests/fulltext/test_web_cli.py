"""What a user sees: `papersift fulltext` and `status`, thumbnails on cards, the paper page."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from tests.factories import add_papers, record
from tests.helpers.fulltext import CASES, serve_cases


@pytest.fixture
def ft_app(make_app, pdf_server):
    application = make_app(arxiv_pdf_url=pdf_server.url, pdf_delay=0.0, pdf_engine="pdfium",
                           pdf_workers=2, arxiv_retries=1, arxiv_timeout=5.0)
    add_papers(application.extensions["papersift.engine"],
               *(record(id=pid, title=f"Case {pid}") for pid in CASES))
    serve_cases(pdf_server)
    return application


@pytest.fixture
def extracted(ft_app):
    result = ft_app.test_cli_runner().invoke(args=["fulltext"])
    assert result.exit_code == 0, result.output
    return result


def test_fulltext_command_prints_a_summary_with_reasons(extracted):
    out = extracted.output
    assert "Full text: 3 ok, 4 failed of 7 papers" in out
    assert "failed 1x: encrypted PDF (needs a password)" in out
    assert "failed 1x: download: not a PDF: the server sent text/html" in out


def test_fulltext_limit_and_nothing_left_to_do(ft_app):
    runner = ft_app.test_cli_runner()
    first = runner.invoke(args=["fulltext", "--limit", "2"])   # newest first: 00007 ok, 00006 a 404
    assert "1 ok, 1 failed of 2 papers" in first.output
    assert "2 ok, 4 failed of 6 papers" in runner.invoke(args=["fulltext"]).output
    assert "of 4 papers" in runner.invoke(args=["fulltext"]).output    # failed ones, attempt 2 (00006: 3)
    assert "of 3 papers" in runner.invoke(args=["fulltext"]).output    # attempt 3 of 3
    done = runner.invoke(args=["fulltext"])
    assert done.exit_code == 0
    assert "nothing to do" in done.output
    assert "of 4 papers" in runner.invoke(args=["fulltext", "--retry-failed"]).output
    assert runner.invoke(args=["fulltext", "--limit", "0"]).exit_code == 2


def test_status_counts_full_text(ft_app, extracted):
    result = ft_app.test_cli_runner().invoke(args=["status", "--json"])
    status = json.loads(result.output)
    assert status["fulltext"]["ok"] == 3 and status["fulltext"]["failed"] == 4
    assert status["fulltext"]["pending"] == 0
    assert status["fulltext"]["reasons"]["download: HTTP 404 from the PDF server"] == 1
    text = ft_app.test_cli_runner().invoke(args=["status"]).output
    assert "full text: 3 ok, 4 failed, 0 pending" in text
    assert "1 x encrypted PDF (needs a password)" in text


def test_thumbnails_are_served_with_caching_headers(ft_app, extracted):
    client = ft_app.test_client()
    response = client.get("/thumb/2401.00001.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert response.cache_control.public and response.cache_control.max_age == 7 * 24 * 3600
    etag = response.headers["ETag"]
    response.close()
    again = client.get("/thumb/2401.00001.png", headers={"If-None-Match": etag})
    assert again.status_code == 304
    again.close()


def test_a_missing_thumbnail_is_a_briefly_cached_placeholder(ft_app):
    response = ft_app.test_client().get("/thumb/2401.00003.png")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.cache_control.max_age == 600
    assert BeautifulSoup(response.data, "html.parser").find("svg") is not None
    assert ft_app.test_client().get("/thumb/hep-th/9901001.png").mimetype == "image/svg+xml"


def test_a_thumbnail_url_that_is_no_arxiv_id_is_a_404(ft_app):
    response = ft_app.test_client().get("/thumb/..%2F..%2Fsecret_key.png")
    assert response.status_code == 404
    assert ft_app.test_client().get("/thumb/not-an-id.png").status_code == 404


def test_browse_cards_show_thumbnails(ft_app):
    soup = BeautifulSoup(ft_app.test_client().get("/").data, "html.parser")
    cards = soup.select("article.paper-card")
    assert cards
    for card in cards:
        img = card.select_one("img.thumb")
        assert img["src"] == f"/thumb/{card['data-paper-id']}.png"
        assert img["loading"] == "lazy"


def fact(client, pid: str) -> tuple[str, str]:
    soup = BeautifulSoup(client.get(f"/paper/{pid}").data, "html.parser")
    dd = soup.select_one(".paper-facts dd.fulltext-fact")
    return dd["data-status"], " ".join(dd.get_text().split())


def test_paper_page_says_whether_full_text_is_used_and_its_length(ft_app, extracted):
    from web import services

    client = ft_app.test_client()
    status, text = fact(client, "2401.00001")
    assert status == "ok"
    assert "characters from 8 pages (pdfium)" in text and "from the next index build" in text
    assert ft_app.test_cli_runner().invoke(args=["index"]).exit_code == 0
    with ft_app.app_context():
        services.index_holder().reload()
    status, text = fact(client, "2401.00001")
    assert "used for similar papers and recommendations" in text
    chars = int(text.split(" characters")[0].replace(",", ""))
    assert chars > 30_000
    assert fact(client, "2401.00003") == (
        "failed", "not available (encrypted PDF (needs a password)); ranked by title and abstract")


def test_paper_page_before_any_extraction(ft_app):
    assert fact(ft_app.test_client(), "2401.00002") == (
        "none", "not extracted yet; ranked by title and abstract")
