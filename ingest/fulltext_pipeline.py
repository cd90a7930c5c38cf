"""The full-text use-case: download PDFs of papers without current text, extract, store.

Two ways to run, one way to do the work. Without Redis, `run_fulltext` downloads in a
feeder thread (paced, `settings.pdf_delay` apart) while an `ExtractionPool` extracts on
every core. With `settings.redis_url`, it enqueues one RQ job per paper and `papersift
worker` processes run `fulltext_job` on any number of machines. Both paths call the same
steps: `fetch_pdf` -> isolated extraction -> `finish` (store, thumbnail, cache clean-up).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import Engine

from config import Settings
from ingest.extract import ExtractJob, ExtractResult
from ingest.extract_pool import ExtractionPool, extract_isolated
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
from store import runs

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


# -- the shared steps --------------------------------------------------------------------------

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


def _download_failure(settings: Settings, exc: DownloadError) -> ExtractResult:
    return ExtractResult("failed", engine=settings.pdf_engine, reason=f"download: {exc.reason}")


# -- local path -------------------------------------------------------------------------------

class _Run:
    """One local run: records results from the feeder and the pool threads under a lock."""

    def __init__(self, engine: Engine, settings: Settings, summary: FulltextSummary, bar) -> None:
        self.engine, self.settings, self.summary, self.bar = engine, settings, summary, bar
        self.lock = threading.Lock()
        self.in_flight: set[Path] = set()
        self.streak: list[store_fulltext.Candidate] = []    # host failures in a row

    def record(self, cand, result: ExtractResult, path: Path | None) -> None:
        with self.lock:
            self.in_flight.discard(path)
            in_use = set(self.in_flight)
        finish(self.engine, self.settings, cand, result, path, in_use=in_use)
        with self.lock:
            if result.ok:
                self.summary.ok += 1
                self.summary.pages += result.pages
            else:
                self.summary.failed += 1
                self.summary.reasons[result.reason] += 1
            if self.bar is not None:
                self.bar.set_postfix(failed=self.summary.failed, refresh=False)
                self.bar.update(1)


def _jobs(run: _Run, cands, session, pacer, sleep) -> Iterator[ExtractJob]:
    for cand in cands:
        with run.lock:
            in_use = set(run.in_flight)
        try:
            path = fetch_pdf(run.settings, session, cand, pacer, keep=in_use, sleep=sleep)
        except DiskFull as exc:
            run.summary.stopped = f"{exc.reason}; free space or lower PAPERSIFT_PDF_CACHE_MB"
            return
        except DownloadError as exc:
            run.record(cand, _download_failure(run.settings, exc), None)
            # a permanent failure (404, not a PDF) means the host answered: no outage
            run.streak = [*run.streak, cand] if exc.host_trouble else []
            if len(run.streak) >= OUTAGE_AFTER:
                with run.engine.begin() as conn:
                    store_fulltext.refund_attempts(conn, [(c.paper_id, c.version) for c in run.streak])
                run.summary.stopped = OUTAGE_MESSAGE.format(n=len(run.streak), reason=exc.reason)
                return
            continue
        run.streak = []
        with run.lock:
            run.in_flight.add(path)
        yield extract_job(run.settings, cand, path)


def run_fulltext(engine: Engine, settings: Settings, *, limit: int | None = None,
                 retry_failed: bool = False, progress: bool = False,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> FulltextSummary:
    """Extract full text for papers that lack current text; RQ jobs when Redis is configured."""
    with engine.connect() as conn:
        cands = store_fulltext.candidates(conn, max_attempts=settings.fulltext_max_attempts,
                                          retry_failed=retry_failed, limit=limit)
    summary = FulltextSummary(candidates=len(cands))
    if not cands:
        return summary
    with engine.begin() as conn:
        run_id = runs.record_run_start(conn, "fulltext", {"limit": limit, "retry_failed": retry_failed,
                                                          "engine": settings.pdf_engine})
    status = "interrupted"
    try:
        if settings.redis_url:
            from ingest.fulltext_queue import enqueue_and_wait

            enqueue_and_wait(settings, cands, summary, progress=progress, sleep=sleep)
        else:
            _run_local(engine, settings, cands, summary, progress=progress, session=session,
                       sleep=sleep, clock=clock)
        status = "failed" if summary.stopped else "ok"
    finally:
        with engine.begin() as conn:
            runs.finish_run(conn, run_id, status, new=summary.ok, errors=summary.failed,
                            message=summary.summary())
    return summary


def _run_local(engine: Engine, settings: Settings, cands: list, summary: FulltextSummary, *,
               progress: bool, session: requests.Session | None, sleep: Callable[[float], None],
               clock: Callable[[], float]) -> None:
    start = time.perf_counter()
    bar = _progress_bar(len(cands)) if progress else None
    run = _Run(engine, settings, summary, bar)
    pool = ExtractionPool(engine=settings.pdf_engine, timeout=settings.pdf_timeout,
                          memory_mb=settings.pdf_memory_mb, workers=settings.pdf_workers)
    own_session = session is None
    session = session or requests.Session()
    try:
        jobs = _jobs(run, cands, session, Pacer(settings.pdf_delay, clock=clock, sleep=sleep), sleep)
        for job, result in pool.run(jobs):
            run.record(job.key, result, Path(job.path))
    finally:
        if bar is not None:
            bar.close()
        if own_session:
            session.close()
    summary.seconds = time.perf_counter() - start


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="paper", desc="full text", dynamic_ncols=True)


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
        result = _download_failure(settings, exc)
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
