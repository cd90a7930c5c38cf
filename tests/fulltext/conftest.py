"""Fixtures for the full-text tests: the real PDFs and a loopback PDF server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fulltext import pdfserver
from tests.helpers.fulltext import (
    CASES,
    PDFS,
)


@pytest.fixture
def pdf_server():
    server = pdfserver.PdfServer()
    httpd, thread = pdfserver.start(server)
    yield server
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def not_a_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "page.pdf"
    path.write_text("<!doctype html><html><body>Just a web page</body></html>")
    return path


@pytest.fixture
def truncated_pdf(tmp_path: Path) -> Path:
    data = (PDFS / "acl2020_s2orc_2020.acl-main.447.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def case_papers(engine):
    from datetime import datetime

    from tests.factories import add_papers, record

    add_papers(engine, *(record(id=pid, published=datetime(2024, 1, i + 1), title=f"Case {pid}")
                         for i, pid in enumerate(CASES)))
    return list(CASES)
