"""Fixtures for the full-text tests: the real PDFs and a loopback PDF server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.fulltext import pdfserver

PDFS = SHARED_DATA / "pdfs"
BROKEN = PDFS / "broken"

# first-page phrases of the real PDFs (whitespace collapsed), checked for both engines
GOOD = {
    "arxiv_1111.2011v2.pdf": "Quantum Criticality for Extended Nodes on a Bethe Lattice",
    "acl2020_s2orc_2020.acl-main.447.pdf": "S2ORC: The Semantic Scholar Open Research Corpus",
    "arxiv_2206.10883v3.pdf": "Multi-LexSum: Real-World Summaries of Civil Rights Lawsuits",
    "arxiv_2304.02623v1.pdf": "Beyond Summarization: Designing AI Support for Real-World Expository Writing",
    "arxiv_2305.03393v1_page9_only.pdf": "Optimized Table Tokenization for Table Structure Recognition",
    "naacl2006_shinyama_preemptive_ie.pdf": "Preemptive Information Extraction using Unrestricted Relation",
    "eacl2023_longeval_2023.eacl-main.121.pdf": "European Chapter of the Association for Computational",
}
PAGES = {"arxiv_1111.2011v2.pdf": 8, "acl2020_s2orc_2020.acl-main.447.pdf": 15,
         "arxiv_2206.10883v3.pdf": 37, "arxiv_2304.02623v1.pdf": 4,
         "arxiv_2305.03393v1_page9_only.pdf": 1, "naacl2006_shinyama_preemptive_ie.pdf": 8,
         "eacl2023_longeval_2023.eacl-main.121.pdf": 20}
# broken/: what each gives (pdfminer recovers the corrupted xref; the recursion is refused)
BROKEN_OUTCOMES = {
    "corrupted_xref_zen_of_python.pdf": ("ok", "Beautiful is better than ugly."),
    "encrypted_rc4-40_password_foo.pdf": ("failed", "encrypted PDF (needs a password)"),
    "recursive_xobjects_issue-1113.pdf": ("ok", "Hello world"),
}


def flat(text: str) -> str:
    return " ".join(text.split())


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
