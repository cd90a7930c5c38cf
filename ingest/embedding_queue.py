"""Embeddings on worker machines: one RQ job per batch of papers, run by `papersift worker`.

The coordinating process (the scheduler's index step, `papersift embed`) reads the texts
from the store and puts each batch in a job; a worker encodes it with its own encoder and
returns the float16 vectors as bytes, which the coordinator saves in its cache as it does
its own batches. Workers need the encoder but not the store or the data dir. A batch whose
worker has another model, or whose job failed, is encoded locally instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np
from rq import Queue, Worker
from rq.job import Job, JobStatus

import config
from config import Settings
from ingest.embeddings import Batch, BatchEncoder
from recommend.embedding import Encoder

QUEUE_NAME = "papersift-embeddings"
POLL_SECONDS = 0.2
JOB_TIMEOUT = 1800
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


def queue_batches(settings: Settings, encoder: Encoder, *,
                  sleep: Callable[[float], None] = time.sleep) -> BatchEncoder | None:
    """A BatchEncoder that hands batches to RQ workers, or None when REDIS_URL is unset or
    no worker listens on the embeddings queue (the caller then encodes locally)."""
    if not settings.redis_url:
        return None
    queue = embedding_queue(settings)
    if not any(QUEUE_NAME in w.queue_names() for w in Worker.all(connection=queue.connection)):
        return None

    def run(batches: Iterable[Batch]) -> Iterator[tuple[list[str], list[str], np.ndarray]]:
        jobs = {queue.enqueue(embed_job, texts, job_timeout=JOB_TIMEOUT, result_ttl=3600,
                              failure_ttl=24 * 3600,
                              description=f"embeddings of {len(ids)} papers").id: (ids, texts)
                for ids, texts in batches}
        while jobs:
            waiting = list(jobs)
            fetched = Job.fetch_many(waiting, connection=queue.connection)
            done = [(jid, job) for jid, job in zip(waiting, fetched, strict=True)
                    if job is None or job.get_status(refresh=False) not in ACTIVE]
            for jid, job in done:
                ids, texts = jobs.pop(jid)
                yield ids, texts, _vectors(job, encoder, texts, settings.embedding_batch)
            if jobs and not done:
                sleep(POLL_SECONDS)
    return run


def _vectors(job: Job | None, encoder: Encoder, texts: list[str], batch_size: int) -> np.ndarray:
    result = job.return_value() if job is not None else None
    if (isinstance(result, dict) and result.get("status") == "ok"
            and result.get("model") == encoder.name and result.get("dim") == encoder.dim):
        return np.frombuffer(result["vectors"], dtype=np.float16).reshape(len(texts), encoder.dim)
    return encoder.encode(texts, batch_size=batch_size)   # a failed job or another model
