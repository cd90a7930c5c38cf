"""PDF downloads against a loopback server: accepted PDFs, rejections, retries, no partial files."""

from __future__ import annotations

import os
import time

import pytest
import requests

from ingest.pdfs import DownloadError, DownloadOptions, Pacer, download_pdf, evict, pdf_name
from tests.fulltext import pdfserver
from tests.helpers.fulltext import PDFS

GOOD = PDFS / "arxiv_1111.2011v2.pdf"


def options(**changes) -> DownloadOptions:
    values = {"max_bytes": 50 * 1024 * 1024, "timeout": 5.0, "retries": 3,
              "user_agent": "papersift/0.1 (test; ops@example.org)"}
    values.update(changes)
    return DownloadOptions(**values)


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


@pytest.fixture
def sleeps():
    return []


def fetch(server, session, dest, sleeps, name="1111.2011v2", **opts):
    return download_pdf(session, server.url + name, dest, options(**opts), sleep=sleeps.append)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_pdf_is_saved_whole_with_our_user_agent(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.pdf(GOOD))
    dest = tmp_path / "pdfs" / "1111.2011v2.pdf"

    assert fetch(pdf_server, session, dest, sleeps) == dest

    assert dest.read_bytes() == GOOD.read_bytes()
    assert leftovers(dest.parent) == ["1111.2011v2.pdf"]
    assert pdf_server.requests[0][1] == "papersift/0.1 (test; ops@example.org)"


def test_an_html_page_is_rejected_and_nothing_is_written(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.html())
    with pytest.raises(DownloadError, match="not a PDF: the server sent text/html") as info:
        fetch(pdf_server, session, tmp_path / "x.pdf", sleeps)
    assert not info.value.retryable
    assert leftovers(tmp_path) == []
    assert len(pdf_server.requests) == 1          # no retry for a wrong content type


def test_pdf_content_type_with_html_bytes_is_rejected(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.mislabelled(GOOD))
    with pytest.raises(DownloadError, match="does not start with %PDF-"):
        fetch(pdf_server, session, tmp_path / "x.pdf", sleeps)
    assert leftovers(tmp_path) == []


def test_a_download_cut_midway_leaves_no_partial_file(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.cut(GOOD))
    with pytest.raises(DownloadError, match="cut off") as info:
        fetch(pdf_server, session, tmp_path / "pdfs" / "x.pdf", sleeps)
    assert info.value.retryable
    assert "gave up after 3 attempts" in info.value.reason
    assert leftovers(tmp_path / "pdfs") == []
    assert len(pdf_server.requests) == 3


def test_a_cut_then_a_good_download_succeeds_on_retry(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.cut(GOOD), pdfserver.pdf(GOOD))
    dest = fetch(pdf_server, session, tmp_path / "x.pdf", sleeps)
    assert dest.read_bytes() == GOOD.read_bytes()
    assert sleeps == [1.0]


def test_503_with_retry_after_is_honoured(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.status(503, "7"), pdfserver.status(503, "7"),
                     pdfserver.pdf(GOOD))
    fetch(pdf_server, session, tmp_path / "x.pdf", sleeps)
    assert sleeps == [7.0, 7.0]


def test_404_is_final_without_retries(pdf_server, session, sleeps, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        fetch(pdf_server, session, tmp_path / "x.pdf", sleeps, name="9999.99999v1")
    assert not info.value.retryable
    assert sleeps == [] and len(pdf_server.requests) == 1


def test_a_pdf_over_the_size_cap_is_refused(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.pdf(GOOD))
    with pytest.raises(DownloadError, match="PDF too large"):
        fetch(pdf_server, session, tmp_path / "x.pdf", sleeps, max_bytes=100_000)
    assert leftovers(tmp_path) == []


def test_a_stalled_server_times_out_and_leaves_nothing(pdf_server, session, sleeps, tmp_path):
    pdf_server.route("1111.2011v2", pdfserver.slow(GOOD, delay=2.0))
    with pytest.raises(DownloadError, match="cut off|could not connect"):
        fetch(pdf_server, session, tmp_path / "x.pdf", sleeps, timeout=0.3, retries=1)
    assert leftovers(tmp_path) == []


def test_pacer_spaces_downloads_by_the_delay():
    now = [100.0]
    slept = []

    def sleep(s):
        slept.append(round(s, 3))
        now[0] += s

    pacer = Pacer(1.0, clock=lambda: now[0], sleep=sleep)
    pacer.wait()
    now[0] += 0.25
    pacer.wait()
    now[0] += 5
    pacer.wait()
    assert slept == [0.75]


def _file(folder, name, size, age):
    path = folder / name
    path.write_bytes(b"%PDF-" + b"x" * (size - 5))
    t = time.time() - age
    os.utime(path, (t, t))
    return path


def test_eviction_drops_superseded_versions_first_then_the_oldest(tmp_path):
    old_v1 = _file(tmp_path, pdf_name("2401.00001", 1), 1000, age=10)     # superseded, newest
    _file(tmp_path, pdf_name("2401.00001", 2), 1000, age=500)
    _file(tmp_path, pdf_name("2401.00002", 1), 1000, age=400)
    _file(tmp_path, pdf_name("hep-th/9901001", 3), 1000, age=300)
    in_use = _file(tmp_path, pdf_name("2401.00003", 1), 1000, age=900)   # oldest, but in use

    removed = evict(tmp_path, 2500, keep=[in_use])

    assert [p.name for p in removed] == [old_v1.name, "2401.00001v2.pdf", "2401.00002v1.pdf"]
    assert leftovers(tmp_path) == ["2401.00003v1.pdf", "hep-th_9901001v3.pdf"]


def test_eviction_does_nothing_within_budget(tmp_path):
    _file(tmp_path, "2401.00001v1.pdf", 1000, age=1)
    assert evict(tmp_path, 10_000) == []
    assert evict(tmp_path / "missing", 0) == []
