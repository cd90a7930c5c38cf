"""Embeddings on worker machines: batches go to `papersift worker` through RQ."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from redis import Redis
from rq import Worker

from ingest import indexing
from ingest.embedding_queue import QUEUE_NAME, queue_batches
from ingest.embeddings import embed_current_index
from recommend.index import load_index
from recommend.index_vectors import load_vectors
from tests.factories import add_papers
from tests.helpers.paths import ROOT
from tests.redis_fixture import redis_server  # noqa: F401 - fixture
from tests.semantic.corpus import corpus
from tests.semantic.encoder import HashedWordEncoder

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _worker_env(redis_url: str, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERSIFT_", "REDIS_", "DATABASE_"))}
    # a worker machine: its own empty data dir, the encoder, the queue
    env.update(PAPERSIFT_DATA_DIR=str(data_dir), REDIS_URL=redis_url, PAPERSIFT_SCHEDULER="0",
               PAPERSIFT_EMBEDDING_ENCODER="tests.semantic.encoder:make_encoder", PYTHONPATH=str(ROOT))
    return env


def test_without_a_listening_worker_batches_stay_local(settings, redis_server):  # noqa: F811
    assert queue_batches(dataclasses.replace(settings, redis_url=redis_server), HashedWordEncoder()) is None
    assert queue_batches(settings, HashedWordEncoder()) is None          # no REDIS_URL


def test_a_worker_encodes_the_batches(engine, settings, redis_server, tmp_path):  # noqa: F811
    settings = dataclasses.replace(settings, redis_url=redis_server, embedding_batch=8)
    add_papers(engine, *corpus())
    indexing.build(engine, settings, force=True)
    worker_dir = tmp_path / "worker-machine"
    worker_dir.mkdir()
    worker = subprocess.Popen([str(Path(sys.executable).with_name("papersift")), "worker"],
                              env=_worker_env(redis_server, worker_dir), cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        connection = Redis.from_url(redis_server)
        deadline = time.monotonic() + 60
        while not any(QUEUE_NAME in w.queue_names() for w in Worker.all(connection=connection)):
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        local = HashedWordEncoder()
        batches = queue_batches(settings, local)
        assert batches is not None
        result = embed_current_index(engine, settings, local, batch_encoder=batches)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert (result.status, result.encoded, result.covered) == ("built", 42, 42)
    assert local.calls == []                                   # every batch came back from the worker
    index = load_index(settings.index_dir)
    vectors = load_vectors(index.path, len(index))
    from store.papers import get_paper
    with engine.connect() as conn:
        paper = get_paper(conn, str(index.ids[7]))
    expected = HashedWordEncoder().encode([f"{paper.title}. {paper.abstract}"])[0]
    np.testing.assert_allclose(vectors.matrix[7], expected, atol=2e-3)
