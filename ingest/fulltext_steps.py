"""The steps of full-text work for one paper, shared by the local run and RQ workers.

`fetch_pdf` (paced download into the PDF cache) -> isolated extraction -> `finish` (store
the outcome, thumbnail, cache clean-up); `process_one` is all three, as an RQ job runs them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import Engine

from config import Settings
from ingest.extract import ExtractJob, ExtractResult
from ingest.extract_pool import extract_isolated
from ingest.pdfs import (
    DiskFull,
    DownloadError,
    DownloadOptions,
    Pacer,
    download_pdf,
    evict,
    pdf_name,
    pdf_url,
)
from ingest.thumbs import thumb_path
from store import fulltext as store_fulltext

QUEUE_NAME = "papersift-fulltext"
PACE_KEY = "papersift:pdf-pace"
# Downloads that failed for a passing reason (connection refused, timeouts, 5xx after the
# retries) this many times in a row mean the PDF host is down: the run stops, and the
# attempts those failures cost are given back, so an outage never uses up a paper's.
OUTAGE_AFTER = 5
OUTAGE_MESSAGE = ("{n} downloads in a row failed (last: {reason}); the PDF server looks "
                  "unreachable, so the other papers wait for the next run and these keep their attempts")


@dataclass
class FulltextSummary:
    """What a run did, for the CLI's end line and for tests."""
    candidates: int = 0
    ok: int = 0
    failed: int = 0
    pages: int = 0
    enqueued: int = 0
    skipped: int = 0                    # RQ jobs that left their paper for the next run
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)
    stopped: str | None = None          # why the run ended early (e.g. disk full)
    note: str | None = None

    @property
    def done(self) -> int:
        return self.ok + self.failed

    def summary(self) -> str:
        if self.candidates == 0:
            return "Full text: nothing to do (every paper has current text or used up its attempts)."
        parts = [f"Full text: {self.ok} ok, {self.failed} failed of {self.candidates} papers"]
        if self.enqueued:
            parts.append(f"{self.enqueued} jobs enqueued")
        if self.skipped:
            parts.append(f"{self.skipped} left for the next run")
        if self.pages:
            parts.append(f"{self.pages} pages")
        if self.seconds and self.ok:
            parts.append(f"{self.done / self.seconds:.2f} papers/s")
        lines = [", ".join(parts) + "."]
        lines += [f"  failed {n}x: {reason}" for reason, n in self.reasons.most_common()]
        if self.stopped:
            lines.append(f"Stopped early: {self.stopped}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def fetch_pdf(settings: Settings, session: requests.Session, cand: store_fulltext.Candidate,
              pacer: Pacer | RedisPacer, *, keep: set[Path] | frozenset = frozenset(),
              sleep: Callable[[float], None] = time.sleep) -> Path:
    """The PDF of a candidate's version in the cache, downloaded (paced) unless already there;
    the cache is then trimmed to its budget. Raises DownloadError."""
    dest = settings.pdf_dir / pdf_name(cand.paper_id, cand.version)
    if dest.is_file():
        return dest
    pacer.wait()
    download_pdf(session, pdf_url(settings, cand.paper_id, cand.version), dest,
                 DownloadOptions.from_settings(settings), sleep=sleep)
    evict(settings.pdf_dir, settings.pdf_cache_mb * 1024 * 1024, keep={dest, *keep})
    return dest


def extract_job(settings: Settings, cand: store_fulltext.Candidate, path: Path) -> ExtractJob:
    return ExtractJob(cand, str(path), str(thumb_path(settings.thumb_dir, cand.paper_id)))


def finish(engine: Engine, settings: Settings, cand: store_fulltext.Candidate, result: ExtractResult,
           path: Path | None, *, in_use: set[Path] | frozenset = frozenset()) -> None:
    """Store the outcome, then drop the PDF, or with PDFs kept trim the cache to its budget
    (sparing the PDFs still `in_use` by other extractions)."""
    with engine.begin() as conn:
        store_fulltext.record_result(conn, cand.paper_id, cand.version, status=result.status,
                                     text=result.text, pages=result.pages or None,
                                     seconds=round(result.seconds, 3), engine=result.engine or None,
                                     reason=result.reason)
    if path is None:
        return
    if settings.keep_pdfs:
        evict(settings.pdf_dir, settings.pdf_cache_mb * 1024 * 1024, keep=in_use)
    else:
        path.unlink(missing_ok=True)


def download_failure(settings: Settings, exc: DownloadError) -> ExtractResult:
    return ExtractResult("failed", engine=settings.pdf_engine, reason=f"download: {exc.reason}")


class RedisPacer:
    """Pacing shared by every worker: a Redis key that lives `delay` seconds is the slot."""

    def __init__(self, redis, delay: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.redis, self.delay, self.sleep = redis, delay, sleep

    def wait(self) -> None:
        if self.delay <= 0:
            return
        while not self.redis.set(PACE_KEY, "1", nx=True, px=max(1, int(self.delay * 1000))):
            ttl = self.redis.pttl(PACE_KEY)
            self.sleep(max(ttl, 10) / 1000)


def process_one(engine: Engine, settings: Settings, cand: store_fulltext.Candidate,
                session: requests.Session, pacer: Pacer | RedisPacer,
                on_download: Callable[[DownloadError | None], None] | None = None) -> ExtractResult:
    """Download, extract (isolated) and store one paper: what an RQ job does.
    `on_download` hears how the download went (None: the PDF is here)."""
    try:
        path = fetch_pdf(settings, session, cand, pacer)
    except DownloadError as exc:
        result = download_failure(settings, exc)
        if not isinstance(exc, DiskFull):
            finish(engine, settings, cand, result, None)
        if on_download is not None:      # after the failure is stored: it may be given back
            on_download(exc)
        return result
    if on_download is not None:
        on_download(None)
    job = extract_job(settings, cand, path)
    result = extract_isolated(path, engine=settings.pdf_engine, timeout=settings.pdf_timeout,
                              memory_mb=settings.pdf_memory_mb, thumb=job.thumb)
    finish(engine, settings, cand, result, path)
    return result
