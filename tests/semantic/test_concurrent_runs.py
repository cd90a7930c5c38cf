"""Embedding runs that overlap: an index built mid-run, a lost lock, two writers of one cache,
and which encoder the scheduled and start-up runs use."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from domain.index_files import current_version
from ingest import embeddings, indexing, scheduler
from ingest.embedding_cache import BATCH_FILE, EmbeddingCache
from ingest.embeddings import embed_current_index, local_batches
from recommend.index_vectors import read_vectors_meta
from tests.factories import add_papers, record
from tests.redis_fixture import redis_server  # noqa: F401 - fixture
from tests.semantic.corpus import corpus
from tests.semantic.encoder import HashedWordEncoder

N = 42


@pytest.fixture
def indexed(engine, settings):
    add_papers(engine, *corpus())
    indexing.build(engine, settings, force=True)
    return dataclasses.replace(settings, embedding_batch=10,
                               embedding_encoder="tests.semantic.encoder:make_encoder")


def test_a_version_built_while_encoding_gets_its_vectors_in_the_same_run(engine, indexed):
    """run-all at start-up encodes V1; the scheduler builds V2 meanwhile and finds the lock
    taken: V2 must still end up with vectors, not wait for the next scheduled run."""
    enc = HashedWordEncoder()
    local = local_batches(enc, indexed.embedding_batch)
    first = current_version(indexed.index_dir)
    scheduled: list[str] = []

    def encode_while_the_scheduler_runs(batches):
        for done in local(batches):
            yield done
            if not scheduled:       # the scheduler's index stage, once, mid-run
                add_papers(engine, record(id="2406.00001", title="Brand new",
                                          abstract="Policy gradient for agents."))
                indexing.build(engine, indexed)
                scheduled.append(embed_current_index(engine, indexed, HashedWordEncoder()).status)

    result = embed_current_index(engine, indexed, enc, batch_encoder=encode_while_the_scheduler_runs)
    second = current_version(indexed.index_dir)
    assert second != first and scheduled == ["busy"]
    assert (result.status, result.version, result.covered, result.papers) == ("built", second, N + 1, N + 1)
    assert result.encoded == N + 1                       # the new paper only, on the second pass
    assert read_vectors_meta(indexed.index_dir / second)["covered"] == N + 1
    assert embed_current_index(engine, indexed, enc).status == "current"


class LosingLock:
    """A lock that expires (another process takes it) after `keeps` renewals."""

    def __init__(self, keeps: int) -> None:
        self.name, self.keeps, self.acquired, self.released = "embeddings", keeps, 0, False

    @property
    def held(self) -> bool:
        return self.acquired <= self.keeps

    def acquire(self) -> bool:
        self.acquired += 1
        return self.acquired <= self.keeps + 1

    def release(self) -> None:
        self.released = True


def test_a_run_renews_its_lock_after_each_batch_and_stops_when_it_is_lost(engine, indexed, monkeypatch):
    lock = LosingLock(keeps=2)
    monkeypatch.setattr("ingest.locks.make_lock", lambda *a, **k: lock)
    enc = HashedWordEncoder()
    result = embed_current_index(engine, indexed, enc)
    assert result.status == "lost-lock" and enc.calls == [10, 10, 10]   # stopped after the third batch
    assert "lock expired" in result.summary() and "30 papers encoded" in result.summary()
    assert read_vectors_meta(indexed.index_dir / current_version(indexed.index_dir)) is None
    assert lock.released
    monkeypatch.undo()
    enc = HashedWordEncoder()
    again = embed_current_index(engine, indexed, enc)
    assert (again.status, again.encoded, again.covered) == ("built", N - 30, N)   # resumed


def _vectors(n: int, value: float) -> np.ndarray:
    return np.full((n, 4), value, dtype=np.float32)


def test_two_writers_of_one_cache_never_replace_or_remove_each_others_batches(tmp_path, monkeypatch):
    first, second = EmbeddingCache(tmp_path, 4), EmbeddingCache(tmp_path, 4)   # both start empty
    first.add_batch(["a", "b"], ["ha", "hb"], _vectors(2, 0.5))
    second.add_batch(["c"], ["hc"], _vectors(1, 0.25))
    files = [p for p in tmp_path.iterdir() if BATCH_FILE.match(p.name)]
    assert len(files) == 2
    assert set(EmbeddingCache(tmp_path, 4).vectors) == {"a", "b", "c"}
    monkeypatch.setattr("ingest.embedding_cache.COMPACT_AFTER", 1)
    first.compact(["a", "b"])                          # must not unlink the second writer's file
    second.add_batch(["d"], ["hd"], _vectors(1, 0.75))
    reloaded = EmbeddingCache(tmp_path, 4)
    assert set(reloaded.vectors) == {"a", "b", "c", "d"}
    assert float(reloaded.vectors["c"][0]) == 0.25


def test_a_later_batch_wins_over_another_writers_earlier_one(tmp_path):
    first, second = EmbeddingCache(tmp_path, 4), EmbeddingCache(tmp_path, 4)
    first.add_batch(["a"], ["old"], _vectors(1, 0.5))
    second.add_batch(["a"], ["new"], _vectors(1, 0.25))
    assert EmbeddingCache(tmp_path, 4).fresh("a", "new")


def test_batches_of_older_releases_are_still_read(tmp_path):
    EmbeddingCache(tmp_path, 4).add_batch(["a"], ["ha"], _vectors(1, 0.5))
    (path,) = tmp_path.glob("batch-*.npz")
    path.rename(tmp_path / "batch-00000007.npz")
    cache = EmbeddingCache(tmp_path, 4)
    assert cache.fresh("a", "ha")
    assert cache.add_batch(["b"], ["hb"], _vectors(1, 0.5)).name.startswith("batch-00000008-")


class RecordingWorkers:
    """Stands in for RQ workers: records that batches went to them, encodes them locally."""

    def __init__(self) -> None:
        self.batches = 0

    def __call__(self, settings, encoder):
        local = local_batches(encoder, settings.embedding_batch)

        def run(batches):
            for done in local(batches):
                self.batches += 1
                yield done
        return run


@pytest.mark.parametrize("with_redis, expected", [
    pytest.param(True, 5, marks=pytest.mark.redis), (False, 0)])
def test_scheduled_and_start_up_runs_use_workers_when_they_listen(engine, indexed, monkeypatch, request,
                                                                  with_redis, expected):
    workers = RecordingWorkers()
    monkeypatch.setattr("ingest.embedding_queue.queue_batches", workers)
    redis_url = request.getfixturevalue("redis_server") if with_redis else ""
    settings = dataclasses.replace(indexed, redis_url=redis_url)
    scheduler.index_stage(engine, settings)                  # the scheduler's index step
    assert workers.batches == expected
    assert read_vectors_meta(settings.index_dir / current_version(settings.index_dir))["covered"] == N
    add_papers(engine, record(id="2406.00001", title="Brand new", abstract="Policy gradient."))
    indexing.build(engine, settings)
    embeddings.start_background(engine, settings).join(timeout=60)   # run-all at start-up
    assert workers.batches == expected + (1 if expected else 0)
    assert read_vectors_meta(settings.index_dir / current_version(settings.index_dir))["covered"] == N + 1


def test_unreachable_redis_is_no_crash_when_choosing_the_encoder(engine, indexed):
    settings = dataclasses.replace(indexed, redis_url="redis://127.0.0.1:1/0")
    assert embeddings.batch_encoder_for(settings, HashedWordEncoder()) is None      # local
    assert embeddings.batch_encoder_for(indexed, HashedWordEncoder()) is None       # no Redis


@pytest.mark.redis
def test_a_run_longer_than_the_redis_lock_ttl_keeps_other_processes_out(engine, indexed, redis_server,  # noqa: F811
                                                                        monkeypatch):
    from ingest.locks import RedisLock

    monkeypatch.setattr(embeddings, "LOCK_TTL", 2.0)
    settings = dataclasses.replace(indexed, redis_url=redis_server)
    other = RedisLock(redis_server, "embeddings", ttl=2.0)     # a second machine's run
    let_in: list[bool] = []
    local = local_batches(HashedWordEncoder(delay=0.6), settings.embedding_batch)   # 5 batches: 3 s

    def encode_and_try_the_lock(batches):
        for done in local(batches):
            yield done
            let_in.append(other.acquire())

    try:
        result = embed_current_index(engine, settings, HashedWordEncoder(),
                                     batch_encoder=encode_and_try_the_lock)
    finally:
        other.close()
    assert let_in == [False] * 5
    assert (result.status, result.covered) == ("built", N)
