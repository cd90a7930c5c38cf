"""Batches handed to RQ workers: a bounded window in flight, and a deadline after which a
batch no worker finished is encoded locally, so a run always ends."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from redis import Redis
from rq import Queue, Worker

from ingest.embedding_queue import IN_FLIGHT_PER_WORKER, QUEUE_NAME, queue_batches
from tests.redis_fixture import redis_server  # noqa: F401 - fixture
from tests.semantic.encoder import HashedWordEncoder

pytestmark = [pytest.mark.redis]
BATCHES = 12


@pytest.fixture
def idle_worker(redis_server):  # noqa: F811
    """A worker registered on the embeddings queue that never takes a job (it hung, or its
    machine is busy with other queues)."""
    connection = Redis.from_url(redis_server)
    worker = Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
    worker.register_birth()
    yield connection
    worker.register_death()


def _batches(pulled: list[int]):
    for n in range(BATCHES):
        pulled.append(n)
        yield [f"p{n}"], [f"paper {n} about reinforcement learning"]


def test_only_a_window_of_batches_is_queued_and_late_ones_are_encoded_locally(
        settings, redis_server, idle_worker):  # noqa: F811
    settings = dataclasses.replace(settings, redis_url=redis_server)
    encoder = HashedWordEncoder()
    queue = Queue(QUEUE_NAME, connection=idle_worker)
    now = [0.0]
    in_queue: list[int] = []

    def sleep(seconds: float) -> None:
        in_queue.append(queue.count)
        now[0] += seconds

    run = queue_batches(settings, encoder, sleep=sleep, clock=lambda: now[0], deadline=1.0)
    assert run is not None
    pulled: list[int] = []
    results = []
    for ids, texts, vectors in run(_batches(pulled)):
        results.append(ids[0])
        # texts are read from the store only as the window opens, not all up front
        assert len(pulled) <= len(results) + IN_FLIGHT_PER_WORKER
        np.testing.assert_allclose(vectors, HashedWordEncoder().encode(texts), atol=1e-6)
    assert sorted(results) == sorted(f"p{n}" for n in range(BATCHES))    # the run ended
    assert max(in_queue) <= IN_FLIGHT_PER_WORKER                          # 2 per listening worker
    assert encoder.calls == [1] * BATCHES                # all encoded here, after the deadline
    assert queue.count == 0                                               # late jobs were cancelled
