"""Text extraction from PDFs, one document per isolated worker process.

PDFs from the wild hang parsers, blow up memory and crash native code. Each document is
therefore extracted in its own short-lived child process (started from a forkserver, so
it is cheap and never inherits the parent's threads) with a memory cap set with
``setrlimit(RLIMIT_AS)`` in the child and a wall-clock timeout enforced by the parent,
which kills the child when it runs over. Whatever goes wrong becomes an `ExtractResult`
with status ``failed`` and a reason a person can read; the batch goes on.

Engines: ``pdfminer`` (pdfminer.six, the default) and ``pdfium`` (pypdfium2, much faster).
When pdfminer loses the spaces between words (it does on some PDFs), PDFium's text is used
instead and the engine is recorded as ``pdfminer+pdfium``.
A ``module:function`` name selects a custom engine with the same signature
(``(path) -> (text, pages)``), which is how tests make extraction hang on purpose.
"""

from __future__ import annotations

import importlib
import io
import logging
import multiprocessing
import os
import queue
import re
import resource
import signal
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

ENGINES = ("pdfminer", "pdfium")
POLL_SECONDS = 0.05

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


# -- the isolated child ---------------------------------------------------------------------

def _limit_memory(memory_mb: int) -> None:
    if memory_mb > 0:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _child(conn: Connection, job: ExtractJob, engine: str, memory_mb: int) -> None:
    """Entry point of the worker process: cap memory, extract, render, send the result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its warnings about damaged streams
    _limit_memory(memory_mb)
    result = extract_in_process(job.path, engine)
    if result.ok and job.thumb:
        from ingest.thumbs import render_thumbnail

        try:
            render_thumbnail(Path(job.path), Path(job.thumb))
            result = ExtractResult(**{**result.__dict__, "thumbnail": True})
        except Exception:  # noqa: BLE001 - a missing thumbnail never fails the text
            pass
    conn.send(result)
    conn.close()


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["ingest.extract", "ingest.thumbs", "pdfminer.high_level",
                                "pypdfium2", "PIL.Image", "PIL.PngImagePlugin"])
    return ctx


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class _Running:
    job: ExtractJob
    process: Any
    conn: Connection
    deadline: float
    started: float


def _crash_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"extraction process crashed ({name})"
    return f"extraction process died (exit code {exitcode})"


class ExtractionPool:
    """Runs `ExtractJob`s, at most `workers` at a time, each in its own process.

    `run(jobs)` yields `(job, result)` as documents finish (not in input order). The job
    iterable is consumed in a feeder thread, so a slow producer (paced downloads) overlaps
    with extraction; it is read at most `workers` items ahead.
    """

    def __init__(self, *, engine: str = "pdfminer", timeout: float = 120.0, memory_mb: int = 1024,
                 workers: int = 0) -> None:
        resolve_engine(engine)  # fail early on a bad setting, in the parent
        self.engine = engine
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.workers = workers or default_workers()
        self._ctx = _context()

    def run(self, jobs: Iterable[ExtractJob]) -> Iterator[tuple[ExtractJob, ExtractResult]]:
        inbox: queue.Queue = queue.Queue(maxsize=self.workers)
        done = object()
        errors: list[BaseException] = []
        stop = threading.Event()
        feeder = threading.Thread(target=self._feed, args=(jobs, inbox, done, errors, stop),
                                  daemon=True, name="extract-feeder")
        feeder.start()
        running: list[_Running] = []
        exhausted = False
        try:
            while not exhausted or running:
                while not exhausted and len(running) < self.workers:
                    try:
                        item = inbox.get(timeout=POLL_SECONDS if not running else 0)
                    except queue.Empty:
                        break
                    if item is done:
                        exhausted = True
                    else:
                        running.append(self._start(item))
                yield from self._collect(running)
        finally:
            stop.set()
            for r in running:
                self._kill(r)
        if errors:
            raise errors[0]

    @staticmethod
    def _feed(jobs, inbox: queue.Queue, done, errors: list, stop: threading.Event) -> None:
        try:
            for job in jobs:
                while not stop.is_set():
                    try:
                        inbox.put(job, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer thread
            errors.append(exc)
        inbox.put(done)

    def _start(self, job: ExtractJob) -> _Running:
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(child, job, self.engine, self.memory_mb),
                                 daemon=True)
        proc.start()
        child.close()
        now = time.monotonic()
        return _Running(job, proc, parent, now + self.timeout, now)

    def _collect(self, running: list[_Running]) -> Iterator[tuple[ExtractJob, ExtractResult]]:
        if not running:
            return
        now = time.monotonic()
        wait_for = max(0.0, min(min(r.deadline for r in running) - now, POLL_SECONDS * 4))
        ready = set(wait([r.conn for r in running] + [r.process.sentinel for r in running],
                         timeout=wait_for))
        now = time.monotonic()
        for r in list(running):
            result = None
            if r.conn in ready or r.process.sentinel in ready:
                result = self._receive(r)
            elif now >= r.deadline:
                self._kill(r)
                result = ExtractResult("failed", engine=self.engine, seconds=now - r.started,
                                       reason=f"timed out after {self.timeout:g} s (process killed)")
            if result is not None:
                running.remove(r)
                yield r.job, result

    def _receive(self, r: _Running) -> ExtractResult:
        result = None
        try:
            if r.conn.poll():
                result = r.conn.recv()
        except (EOFError, OSError):
            result = None
        r.process.join(timeout=5)
        if r.process.is_alive():
            self._kill(r)
        r.conn.close()
        if result is None:
            return ExtractResult("failed", engine=self.engine, reason=_crash_reason(r.process.exitcode),
                                 seconds=time.monotonic() - r.started)
        return result

    @staticmethod
    def _kill(r: _Running) -> None:
        if r.process.is_alive():
            r.process.kill()
        r.process.join(timeout=5)
        r.conn.close()


def extract_isolated(path: str | Path, *, engine: str = "pdfminer", timeout: float = 120.0,
                     memory_mb: int = 1024, thumb: str | Path | None = None) -> ExtractResult:
    """Extract one PDF in its own process with the timeout and memory cap (RQ jobs use this)."""
    pool = ExtractionPool(engine=engine, timeout=timeout, memory_mb=memory_mb, workers=1)
    job = ExtractJob(None, str(path), str(thumb) if thumb else None)
    for _job, result in pool.run([job]):
        return result
    raise RuntimeError("extraction pool returned no result")  # pragma: no cover
