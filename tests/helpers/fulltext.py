"""Full-text extraction in tests: the real PDFs, what they should give, and serving them over HTTP."""

from __future__ import annotations

from pathlib import Path

from tests.fulltext import pdfserver
from tests.helpers.paths import TEST_DATA

PDFS = TEST_DATA / "pdfs"
BROKEN = PDFS / "broken"


# first-page phrases of the real PDFs (whitespace collapsed), checked for both engines
GOOD = {
    "arxiv_1111.2011v2.pdf": "Quantum Criticality for Extended Nodes on a Bethe Lattice",
    "acl2020_s2orc_2020.acl-main.447.pdf": "S2ORC: The Semantic Scholar Open Research Corpus",
    "arxiv_2206.10883v3.pdf": "Multi-LexSum: Real-World Summaries of Civil Rights Lawsuits",
    "arxiv_2304.02623v1.pdf": "Beyond Summarization: Designing AI Support for Real-World Expository Writing",
    "arxiv_2305.03393v1_page9_only.pdf": "Optimized Table Tokenization for Table Structure Recognition",
    "naacl2006_shinyama_preemptive_ie.pdf": "Preemptive Information Extraction using Unrestricted Relation",
    # pdfminer loses this PDF's spaces ("AbstractWhilehumanevaluation..."): PDFium's text is used
    "eacl2023_longeval_2023.eacl-main.121.pdf": "a set of guidelines for human evaluation of faithfulness",
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


# papers in the store, each served by the loopback server as something real or broken
CASES = {
    "2401.00001": pdfserver.pdf(PDFS / "arxiv_1111.2011v2.pdf"),
    "2401.00002": pdfserver.pdf(PDFS / "acl2020_s2orc_2020.acl-main.447.pdf"),
    "2401.00003": pdfserver.pdf(BROKEN / "encrypted_rc4-40_password_foo.pdf"),
    "2401.00004": pdfserver.html(),
    "2401.00005": pdfserver.cut(PDFS / "arxiv_2304.02623v1.pdf"),
    "2401.00006": None,                                  # 404
    "2401.00007": pdfserver.pdf(BROKEN / "corrupted_xref_zen_of_python.pdf"),
}


EXPECTED = {
    "2401.00001": ("ok", GOOD["arxiv_1111.2011v2.pdf"]),
    "2401.00002": ("ok", GOOD["acl2020_s2orc_2020.acl-main.447.pdf"]),
    "2401.00003": ("failed", "encrypted PDF (needs a password)"),
    "2401.00004": ("failed", "download: not a PDF: the server sent text/html"),
    "2401.00005": ("failed", "download: download cut off"),
    "2401.00006": ("failed", "download: HTTP 404 from the PDF server"),
    "2401.00007": ("ok", "Beautiful is better than ugly."),
}


def serve_cases(server: pdfserver.PdfServer, version: int = 1) -> None:
    for pid, reply in CASES.items():
        if reply is not None:
            server.route(f"{pid}v{version}", reply)


def fulltext_settings(data_dir: Path, server_url: str, **overrides):
    import config

    values = {"data_dir": str(data_dir), "arxiv_pdf_url": server_url, "pdf_delay": 0.0,
              "pdf_engine": "pdfium", "pdf_workers": 2, "pdf_timeout": 30.0, "arxiv_retries": 2,
              "arxiv_timeout": 5.0, "scheduler_enabled": False}
    values.update(overrides)
    return config.load_settings({}, **values)
