"""Text extraction from PDFs: the engines, text normalisation, and one document's work.

The work of one document (`run_job`: extract, normalise, render a thumbnail) runs inside
an isolated worker process from `ingest.extract_pool`, which enforces the per-document
timeout and memory cap. Any engine error becomes an `ExtractResult` with status
``failed`` and a reason a person can read.

Engines: ``pdfminer`` (pdfminer.six, the default) and ``pdfium`` (pypdfium2, much faster).
When pdfminer loses the spaces between words (it does on some PDFs), PDFium's text is used
instead and the engine is recorded as ``pdfminer+pdfium``.
A ``module:function`` name selects a custom engine with the same signature
(``(path) -> (text, pages)``), which is how tests make extraction hang on purpose.
"""

from __future__ import annotations

import importlib
import io
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENGINES = ("pdfminer", "pdfium")

Engine = Callable[[str], tuple[str, int]]


@dataclass(frozen=True)
class ExtractResult:
    """What extracting one PDF gave: normalised text and statistics, or why it failed."""

    status: str                      # ok | failed
    text: str = ""
    pages: int = 0
    seconds: float = 0.0
    engine: str = ""
    reason: str | None = None
    thumbnail: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def chars(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class ExtractJob:
    """One document to extract; `key` comes back with its result, `thumb` is where to
    write a first-page PNG (None: no thumbnail)."""

    key: Any
    path: str
    thumb: str | None = None


# -- text normalisation -----------------------------------------------------------------

LIGATURES = {
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st", "\u0132": "IJ", "\u0133": "ij", "\u0152": "OE",
    "\u0153": "oe", "\ua732": "AA", "\ua733": "aa",
}
_LIGATURE_TABLE = str.maketrans(LIGATURES)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\u00ad\u200b\ufeff]")
_HYPHEN_BREAK = re.compile(r"(\w)[-\u2010]\n[ \t]*([a-z])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise(text: str) -> str:
    """Clean extracted text for indexing and display.

    Ligatures become letters (``ﬁ`` -> ``fi``), a word hyphenated at a line end is joined
    (``exam-\\nple`` -> ``example``; only when the next line starts lower-case, so
    ``GPT-\\n4`` keeps its hyphen), soft hyphens and control characters go, runs of spaces
    become one, lines are stripped and at most one blank line separates paragraphs.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_LIGATURE_TABLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


# -- engines ------------------------------------------------------------------------------

def pdfminer_engine(path: str) -> tuple[str, int]:
    """Text of every page with pdfminer.six's layout analysis, pages separated by form feeds."""
    from pdfminer.converter import TextConverter
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    out = io.StringIO()
    rsrc = PDFResourceManager(caching=True)
    pages = 0
    with open(path, "rb") as fh, TextConverter(rsrc, out, laparams=LAParams()) as device:
        interpreter = PDFPageInterpreter(rsrc, device)
        for page in PDFPage.get_pages(fh, check_extractable=False):
            interpreter.process_page(page)
            out.write("\f")
            pages += 1
    return out.getvalue(), pages


def pdfium_engine(path: str) -> tuple[str, int]:
    """Text of every page with PDFium (pypdfium2), pages separated by form feeds."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        parts = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            parts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return "\f".join(parts), len(parts)
    finally:
        doc.close()


def resolve_engine(name: str) -> Engine:
    """The engine function for a setting value: pdfminer, pdfium or module:function."""
    if name == "pdfminer":
        return pdfminer_engine
    if name == "pdfium":
        return pdfium_engine
    if ":" in name:
        module, _, attr = name.partition(":")
        return getattr(importlib.import_module(module), attr)
    raise ValueError(f"unknown PDF engine {name!r}: use pdfminer or pdfium")


def failure_reason(exc: BaseException) -> str:
    """A sentence a person can act on, from whatever an engine raised."""
    name, message = type(exc).__name__, str(exc)
    low = f"{name} {message}".lower()
    if "password" in low or "encrypt" in low:
        return "encrypted PDF (needs a password)"
    if isinstance(exc, MemoryError):
        return "ran out of memory (over the per-document memory cap)"
    if "no /root object" in low or "is this really a pdf" in low or "data format error" in low:
        return "damaged or not a PDF (no readable document structure)"
    if isinstance(exc, RecursionError):
        return "PDF structure too deeply nested (recursion limit)"
    if "eof" in low or "truncat" in low or "startxref" in low:
        return f"truncated or damaged PDF ({name}: {message[:120]})"
    if isinstance(exc, FileNotFoundError):
        return "PDF file missing"
    return f"extraction error: {name}: {message[:200]}"


_GLUED = re.compile(r"[A-Za-z]{26,}")
GLUED_LIMIT = 0.02
FALLBACK = "pdfminer+pdfium"


def glued_ratio(text: str) -> float:
    """Share of words longer than 25 letters: text whose spaces were lost (a pdfminer failure
    mode on some PDFs, e.g. ``AbstractWhilehumanevaluationremains...``)."""
    words = text.split()
    return sum(1 for w in words if _GLUED.search(w)) / max(1, len(words))


def _with_fallback(path: str, engine: str, raw: str, pages: int) -> tuple[str, int, str]:
    """pdfminer output with its spaces lost is replaced by PDFium's when that is better."""
    if engine != "pdfminer" or glued_ratio(raw) <= GLUED_LIMIT:
        return raw, pages, engine
    try:
        other, other_pages = pdfium_engine(path)
    except Exception:  # noqa: BLE001 - keep what pdfminer gave
        return raw, pages, engine
    if glued_ratio(other) < glued_ratio(raw):
        return other, other_pages, FALLBACK
    return raw, pages, engine


def extract_in_process(path: str, engine: str) -> ExtractResult:
    """Extract one PDF in this process (no isolation); errors become a failed result."""
    start = time.perf_counter()
    try:
        raw, pages = resolve_engine(engine)(path)
    except Exception as exc:  # noqa: BLE001 - any engine error is a recorded failure
        return ExtractResult("failed", engine=engine, reason=failure_reason(exc),
                             seconds=time.perf_counter() - start)
    raw, pages, engine = _with_fallback(path, engine, raw, pages)
    text = normalise(raw)
    seconds = time.perf_counter() - start
    if pages == 0:
        return ExtractResult("failed", engine=engine, seconds=seconds, reason="PDF has no pages")
    if not text:
        return ExtractResult("failed", engine=engine, pages=pages, seconds=seconds,
                             reason="no text layer (scanned or image-only PDF)")
    return ExtractResult("ok", text=text, pages=pages, seconds=seconds, engine=engine)


# -- the work of one document inside a worker process ----------------------------------------

def run_job(job: ExtractJob, engine: str) -> ExtractResult:
    """Extract one document and render its thumbnail: what a worker process does per job."""
    result = extract_in_process(job.path, engine)
    if result.ok and job.thumb:
        from ingest.thumbs import render_thumbnail

        try:
            render_thumbnail(Path(job.path), Path(job.thumb))
            result = ExtractResult(**{**result.__dict__, "thumbnail": True})
        except Exception:  # noqa: BLE001 - a missing thumbnail never fails the text
            pass
    return result
