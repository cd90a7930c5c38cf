"""Embeddings on worker machines: one RQ job per batch of papers, run by `papersift worker`.

The coordinating process (the scheduler's index step, `papersift embed`) reads the texts
from the store and puts each batch in a job; a worker encodes it with its own encoder and
returns the float16 vectors as bytes, which the coordinator saves in its cache as it does
its own batches. Workers need the encoder but not the store or the data dir. A batch whose
worker has another model, or whose job failed, is encoded locally instead.

Only a window of batches is in flight at once (IN_FLIGHT_PER_WORKER per listening worker),
so a first run over millions of papers never holds every text in memory or in Redis. A batch
no worker has finished within JOB_DEADLINE seconds of being queued (workers gone, or busy
with other queues) is cancelled and encoded locally: a run always ends.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from rq import Queue, Worker
from rq.job import Job, JobStatus

import config
from config import Settings
from ingest.embeddings import Batch, BatchEncoder
from recommend.embedding import Encoder

log = logging.getLogger("papersift.embeddings")

QUEUE_NAME = "papersift-embeddings"
POLL_SECONDS = 0.2
JOB_TIMEOUT = 1800
JOB_DEADLINE = 900.0          # seconds from queueing after which a batch is encoded locally
IN_FLIGHT_PER_WORKER = 2      # batches queued per listening worker: keeps each one busy
ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def embedding_queue(settings: Settings, connection=None) -> Queue:
    from ingest.fulltext_queue import redis_connection

    return Queue(QUEUE_NAME, connection=connection or redis_connection(settings))


def embed_job(texts: list[str]) -> dict:
    """The RQ job: encode one batch with the worker's encoder; vectors as float16 bytes."""
    from ingest.embeddings import load_encoder

    settings = config.load_settings()
    encoder = load_encoder(settings)
    if encoder is None:
        return {"status": "no-encoder", "model": ""}
    vectors = np.asarray(encoder.encode(texts, batch_size=settings.embedding_batch), dtype=np.float16)
    return {"status": "ok", "model": encoder.name, "dim": int(vectors.shape[1]),
            "vectors": vectors.tobytes()}


@dataclass
class _InFlight:
    ids: list[str]
    texts: list[str]
    queued_at: float


def queue_batches(settings: Settings, encoder: Encoder, *,
                  sleep: Callable[[float], None] = time.sleep,
                  clock: Callable[[], float] = time.monotonic,
                  deadline: float = JOB_DEADLINE) -> BatchEncoder | None:
    """A BatchEncoder that hands batches to RQ workers, or None when REDIS_URL is unset or
    no worker listens on the embeddings queue (the caller then encodes locally)."""
    if not settings.redis_url:
        return None
    queue = embedding_queue(settings)
    workers = sum(QUEUE_NAME in w.queue_names() for w in Worker.all(connection=queue.connection))
    if not workers:
        return None
    window = IN_FLIGHT_PER_WORKER * workers

    def enqueue(ids: list[str], texts: list[str]) -> str:
        return queue.enqueue(embed_job, texts, job_timeout=JOB_TIMEOUT, result_ttl=3600,
                             failure_ttl=24 * 3600, description=f"embeddings of {len(ids)} papers").id

    def run(batches: Iterable[Batch]) -> Iterator[tuple[list[str], list[str], np.ndarray]]:
        pending = iter(batches)
        jobs: dict[str, _InFlight] = {}
        while True:
            # batches are read from the store only as room opens in the window
            for ids, texts in itertools.islice(pending, window - len(jobs)):
                jobs[enqueue(ids, texts)] = _InFlight(ids, texts, clock())
            if not jobs:
                return
            finished = _finished(queue, jobs, clock() - deadline)
            for jid, job in finished:
                batch = jobs.pop(jid)
                yield batch.ids, batch.texts, _vectors(job, encoder, batch.texts, settings.embedding_batch)
            if not finished:
                sleep(POLL_SECONDS)
    return run


def _finished(queue: Queue, jobs: dict[str, _InFlight], queued_before: float) -> list[tuple[str, Job | None]]:
    """Jobs done or failed, and those queued before `queued_before` (cancelled; their batch is
    then encoded locally: a None job)."""
    waiting = list(jobs)
    fetched = Job.fetch_many(waiting, connection=queue.connection)
    finished: list[tuple[str, Job | None]] = []
    for jid, job in zip(waiting, fetched, strict=True):
        if job is None or job.get_status(refresh=False) not in ACTIVE:
            finished.append((jid, job))
        elif jobs[jid].queued_at < queued_before:
            log.warning("embeddings: no worker finished job %s in time; encoding its batch here", jid)
            _cancel(job)
            finished.append((jid, None))
    return finished


def _cancel(job: Job) -> None:
    from redis.exceptions import RedisError
    from rq.exceptions import InvalidJobOperation

    with contextlib.suppress(InvalidJobOperation, RedisError):   # finished meanwhile: harmless
        job.cancel()


def _vectors(job: Job | None, encoder: Encoder, texts: list[str], batch_size: int) -> np.ndarray:
    result = job.return_value() if job is not None else None
    if (isinstance(result, dict) and result.get("status") == "ok"
            and result.get("model") == encoder.name and result.get("dim") == encoder.dim):
        return np.frombuffer(result["vectors"], dtype=np.float16).reshape(len(texts), encoder.dim)
    return encoder.encode(texts, batch_size=batch_size)   # a failed job or another model
