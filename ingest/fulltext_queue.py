"""The distributed path of full-text extraction: RQ jobs in Redis, `papersift worker` runs them.

One job per paper version (the job id says which, so re-running `papersift fulltext`
never queues a paper twice). A job does exactly what the local path does for one paper
(`fulltext_steps.process_one`), with the settings of the worker's own environment, and
writes the result into the shared store. Downloads are paced across all workers through
a Redis key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

import requests
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job, JobStatus

import config
from config import Settings
from ingest.fulltext_steps import OUTAGE_AFTER, QUEUE_NAME, FulltextSummary, RedisPacer, process_one
from ingest.pdfs import DownloadError
from store import fulltext as store_fulltext

POLL_SECONDS = 0.5
ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
OUTAGE_KEY = "papersift:pdf-outage"
OUTAGE_PAPERS = OUTAGE_KEY + ":papers"
OUTAGE_SECONDS = 600                 # after this long without news, try the PDF host again
SKIPPED = "skipped"

Refund = Callable[[list[tuple[str, int]]], None]


def outage_declared(redis: Redis) -> bool:
    """Whether OUTAGE_AFTER host failures in a row stand (jobs then leave papers alone)."""
    return int(redis.get(OUTAGE_KEY) or 0) >= OUTAGE_AFTER


class OutageBreaker:
    """The local run's outage rule (OUTAGE_AFTER host failures in a row) shared by every
    worker through Redis. The job that trips it gives the streak's papers their attempts
    back; while it stands, jobs leave their papers untouched for the next `papersift
    fulltext`, and it lapses after OUTAGE_SECONDS or at the next download that works."""

    def __init__(self, redis: Redis, refund: Refund) -> None:
        self.redis, self.refund = redis, refund

    def record(self, paper: tuple[str, int], failure: DownloadError | None) -> None:
        if failure is None or not failure.host_trouble:     # a PDF, or a 404: the host answers
            self.redis.delete(OUTAGE_KEY, OUTAGE_PAPERS)
            return
        with self.redis.pipeline() as pipe:
            count = pipe.incr(OUTAGE_KEY).rpush(OUTAGE_PAPERS, f"{paper[0]} {paper[1]}").expire(
                OUTAGE_KEY, OUTAGE_SECONDS).expire(OUTAGE_PAPERS, OUTAGE_SECONDS).execute()[0]
        if count == OUTAGE_AFTER:                            # this job tripped it
            streak = [item.decode().split(" ") for item in self.redis.lrange(OUTAGE_PAPERS, 0, -1)]
            self.refund([(pid, int(version)) for pid, version in streak])
        elif count > OUTAGE_AFTER:                           # began before it tripped
            self.refund([paper])


def job_id(cand: store_fulltext.Candidate) -> str:
    """RQ ids allow letters, digits, _ and -: `2401.00001`v2 -> fulltext-2401_00001-v2."""
    return "fulltext-" + re.sub(r"[^A-Za-z0-9_-]", "_", cand.paper_id) + f"-v{cand.version}"


def redis_connection(settings: Settings) -> Redis:
    return Redis.from_url(settings.redis_url)


def fulltext_queue(settings: Settings, connection: Redis | None = None) -> Queue:
    return Queue(QUEUE_NAME, connection=connection or redis_connection(settings))


def job_timeout(settings: Settings) -> int:
    """Long enough for the retried download plus the extraction limit, with slack."""
    download = settings.arxiv_timeout * max(1, settings.arxiv_retries) * 2 + 120
    return int(settings.pdf_timeout + download + 60)


def enqueue(settings: Settings, cands: Sequence[store_fulltext.Candidate], queue: Queue) -> list[str]:
    """Queue a job per candidate unless one for the same version is already waiting or running."""
    ids = []
    for cand in cands:
        jid = job_id(cand)
        ids.append(jid)
        existing = Job.fetch_many([jid], connection=queue.connection)[0]
        if existing is not None and existing.get_status(refresh=False) in ACTIVE:
            continue
        queue.enqueue(fulltext_job, cand.paper_id, cand.version, job_id=jid,
                      job_timeout=job_timeout(settings), result_ttl=24 * 3600,
                      failure_ttl=7 * 24 * 3600, description=f"full text of {cand.paper_id}v{cand.version}")
    return ids


def enqueue_and_wait(settings: Settings, cands: Sequence[store_fulltext.Candidate],
                     summary: FulltextSummary, *, progress: bool = False,
                     sleep: Callable[[float], None] = time.sleep) -> FulltextSummary:
    """Enqueue, then follow the jobs to the end when a worker is listening."""
    start = time.perf_counter()
    queue = fulltext_queue(settings)
    ids = enqueue(settings, cands, queue)
    summary.enqueued = len(ids)
    if Worker.count(queue=queue) == 0:
        summary.note = (f"{len(ids)} jobs wait in the RQ queue {QUEUE_NAME!r}; "
                        "start `papersift worker` (on this or any machine) to process them.")
        return summary
    _follow(queue, ids, summary, progress, sleep)
    summary.seconds = time.perf_counter() - start
    return summary


def _follow(queue: Queue, ids: list[str], summary: FulltextSummary, progress: bool,
            sleep: Callable[[float], None]) -> None:
    from tqdm import tqdm

    pending = set(ids)
    with tqdm(total=len(ids), unit="paper", desc="full text (RQ)", disable=not progress) as bar:
        while pending:
            for job in Job.fetch_many(sorted(pending), connection=queue.connection):
                if job is None or job.get_status(refresh=False) not in ACTIVE:
                    _tally(job, summary)
                    pending.discard(job.id if job else None)
                    bar.set_postfix(failed=summary.failed, refresh=False)
                    bar.update(1)
            pending.discard(None)
            if pending:
                sleep(POLL_SECONDS)


def _tally(job: Job | None, summary: FulltextSummary) -> None:
    result = job.return_value() if job is not None else None
    if isinstance(result, dict) and result.get("status") == SKIPPED:
        summary.skipped += 1
        summary.stopped = result.get("reason")
        return
    if isinstance(result, dict) and result.get("status") == "ok":
        summary.ok += 1
        summary.pages += result.get("pages") or 0
        return
    summary.failed += 1
    if isinstance(result, dict):
        summary.reasons[result.get("reason") or "unknown"] += 1
    else:
        summary.reasons["job failed in the worker (see `rq info` / worker log)"] += 1


def fulltext_job(paper_id: str, version: int) -> dict:
    """The RQ job: one paper, with the worker's settings; returns a small JSON-able outcome."""
    from store.db import open_store

    settings = config.load_settings()
    connection = redis_connection(settings)
    if outage_declared(connection):
        return {"status": SKIPPED, "reason": (
            f"{OUTAGE_AFTER} downloads in a row failed; the PDF server looks unreachable, so the "
            "other papers wait for the next run and those keep their attempts"),
            "pages": 0, "chars": 0, "seconds": 0.0}
    engine = open_store(settings)

    def refund(keys: list[tuple[str, int]]) -> None:
        with engine.begin() as conn:
            store_fulltext.refund_attempts(conn, keys)

    breaker = OutageBreaker(connection, refund)
    try:
        with requests.Session() as session:
            pacer = RedisPacer(connection, settings.pdf_delay)
            result = process_one(engine, settings, store_fulltext.Candidate(paper_id, version),
                                 session, pacer,
                                 on_download=lambda exc: breaker.record((paper_id, version), exc))
    finally:
        engine.dispose()
    return {"status": result.status, "reason": result.reason, "pages": result.pages,
            "chars": result.chars, "seconds": round(result.seconds, 3)}


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    """Run an RQ worker on the full-text and embeddings queues until stopped (or the queue is empty, `burst`).

    A SimpleWorker runs jobs in its own process rather than forking a child per job: the
    risky part, parsing the PDF, already happens in an isolated process per document, and
    staying in one process keeps that process pool's forkserver warm between jobs.
    """
    from ingest.embedding_queue import embedding_queue

    connection = redis_connection(settings)
    queues = [fulltext_queue(settings, connection), embedding_queue(settings, connection)]
    worker = SimpleWorker(queues, connection=connection)
    return worker.work(burst=burst, with_scheduler=False)
