"""The full-text use-case: download PDFs of papers without current text, extract, store.

Two ways to run, one way to do the work. Without Redis, `run_fulltext` downloads in a
feeder thread (paced, `settings.pdf_delay` apart) while an `ExtractionPool` extracts on
every core. With `settings.redis_url`, it enqueues one RQ job per paper and `papersift
worker` processes run `fulltext_job` on any number of machines. Both paths call the same
steps (`ingest.fulltext_steps`): `fetch_pdf` -> isolated extraction -> `finish` (store,
thumbnail, cache clean-up).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from sqlalchemy import Engine

from config import Settings
from ingest.extract import ExtractJob, ExtractResult
from ingest.extract_pool import ExtractionPool
from ingest.fulltext_steps import (
    OUTAGE_AFTER,
    OUTAGE_MESSAGE,
    FulltextSummary,
    download_failure,
    extract_job,
    fetch_pdf,
    finish,
)
from ingest.pdfs import DiskFull, DownloadError, Pacer
from store import fulltext as store_fulltext
from store import runs


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
            run.record(cand, download_failure(run.settings, exc), None)
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
