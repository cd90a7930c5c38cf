"""The scheduler: jobs and triggers, one leader among several (Redis and lock file), failing
stages logged without stopping later runs, an unreachable arXiv as one warning per run."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

import config
from ingest import arxiv_client
from ingest import scheduler as sched_mod
from ingest.locks import FileLock, RedisLock
from ingest.scheduler import LEADER_JOB, MISFIRE_GRACE, PIPELINE_JOB, PipelineScheduler, run_pipeline
from store import runs, utcnow
from store.db import open_store
from store.schema import papers
from tests.ingest.fakearxiv import FakeArxiv, real_entries


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, engine, settings) -> None:
        with self.lock:
            self.calls += 1


def wait_for(cond, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def fast(engine, settings, stages, **kw) -> PipelineScheduler:
    return PipelineScheduler(engine, settings, stages=stages, interval=timedelta(seconds=0.2),
                             heartbeat=0.1, **kw)


def test_jobs_are_registered_with_the_right_triggers(settings, engine):
    s = PipelineScheduler(engine, config.load_settings({}, data_dir=settings.data_dir, schedule_hours=6))
    job = s.scheduler.get_job(PIPELINE_JOB)
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(hours=6)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, MISFIRE_GRACE)
    assert job.name == "fetch -> fulltext -> index"
    leader = s.scheduler.get_job(LEADER_JOB)
    assert leader.trigger.interval == timedelta(seconds=sched_mod.HEARTBEAT)
    assert [name for name, _ in sched_mod.STAGES] == ["fetch", "fulltext", "index"]


def test_two_schedulers_against_one_redis_only_one_runs_jobs(settings, engine, redis_server):
    shared = config.load_settings({}, data_dir=settings.data_dir, redis_url=redis_server)
    a_count, b_count = Counter(), Counter()
    a = fast(engine, shared, [("count", a_count)])
    b = fast(engine, shared, [("count", b_count)])
    assert isinstance(a.lock, RedisLock)
    try:
        a.start()
        assert wait_for(lambda: a_count.calls >= 1)
        b.start()
        time.sleep(1.0)
        assert a_count.calls >= 3 and b_count.calls == 0
        assert a.is_leader and not b.is_leader
        a.shutdown()                                   # the leader stops: the standby takes over
        assert wait_for(lambda: b_count.calls >= 2)
        assert b.is_leader
    finally:
        a.shutdown()
        b.shutdown()
        a.lock.close()
        b.lock.close()


def test_without_redis_a_lock_file_elects_one_scheduler(settings, engine):
    a_count, b_count = Counter(), Counter()
    a, b = fast(engine, settings, [("count", a_count)]), fast(engine, settings, [("count", b_count)])
    assert isinstance(a.lock, FileLock) and a.lock.path == settings.data_path / "scheduler.lock"
    try:
        a.start()
        assert wait_for(lambda: a_count.calls >= 1)
        b.start()
        time.sleep(0.8)
        assert a_count.calls >= 2 and b_count.calls == 0
    finally:
        a.shutdown()
        b.shutdown()


def test_a_failing_stage_is_logged_and_the_next_run_still_happens(settings, engine, caplog):
    after = Counter()

    def broken(engine, settings):
        raise RuntimeError("disk on fire")

    s = fast(engine, settings, [("broken", broken), ("after", after)])
    with caplog.at_level(logging.INFO, logger="papersift"):
        s.start()
        try:
            assert wait_for(lambda: after.calls >= 3)
        finally:
            s.shutdown()
    failures = [r for r in caplog.records if "scheduled broken failed" in r.getMessage()]
    assert len(failures) >= 3
    assert all(r.levelno == logging.ERROR and "disk on fire" in r.getMessage() for r in failures)
    assert not any(r.exc_info for r in failures)


def test_unreachable_arxiv_is_one_warning_per_run_and_the_index_stage_still_runs(data_dir, caplog,
                                                                                 monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(arxiv_client.time, "sleep", waits.append)
    with FakeArxiv() as down:
        url = down.api_url                                  # the port is closed after this block
    settings = config.load_settings({}, data_dir=str(data_dir), arxiv_api_url=url, arxiv_retries=3,
                                    arxiv_delay=0.0, scheduler_enabled=False)
    engine = open_store(settings)
    indexed, downloads = Counter(), Counter()
    stages = [("fetch", sched_mod.fetch_stage), ("fulltext", downloads), ("index", indexed)]
    with caplog.at_level(logging.INFO, logger="papersift"):
        sched_mod.log.setLevel(logging.INFO)
        results = [run_pipeline(engine, settings, stages) for _ in range(2)]
    # a failed fetch is not a crash; full text (PDFs from arXiv) waits for the next run
    assert results == [{"fetch": "unreachable", "fulltext": "skipped", "index": "ok"}] * 2
    assert downloads.calls == 0
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    assert all("arXiv unreachable" in r.getMessage() and "Connection refused" in r.getMessage()
               for r in warnings)
    assert not any(r.exc_info for r in caplog.records)
    assert indexed.calls == 2
    assert waits == [2.0, 4.0] * 2                       # retried with backoff, quietly
    with engine.connect() as conn:
        assert [r.status for r in runs.latest_runs(conn, "fetch")] == ["failed", "failed"]
    engine.dispose()


def test_scheduled_fetch_stores_papers(data_dir):
    with FakeArxiv(real_entries(12, start=utcnow() - timedelta(days=1))) as fake:
        settings = config.load_settings({}, data_dir=str(data_dir), arxiv_api_url=fake.api_url,
                                        arxiv_delay=0.0, arxiv_page_size=5, categories=("cs.CV",))
        engine = open_store(settings)
        s = fast(engine, settings, [("fetch", sched_mod.fetch_stage)])
        s.start()
        try:
            assert wait_for(lambda: s.runs >= 1 and len(fake.api_requests()) >= 1)
            time.sleep(0.3)
        finally:
            s.shutdown()
        with engine.connect() as conn:
            ok = [r for r in runs.latest_runs(conn, "fetch") if r.status == "ok"]
            assert ok
            assert len(conn.execute(select(papers.c.id)).all()) == 12
        engine.dispose()


def test_background_scheduler_beside_the_site(app):
    """What `papersift run-all` does: the site answers while the scheduler thread runs."""
    settings = app.config["SETTINGS"]
    calls = Counter()
    with app.app_context():
        from web.db import engine as app_engine

        s = PipelineScheduler(app_engine(), settings, stages=[("count", calls)], first_run_delay=0.0)
        s.start()
        try:
            assert wait_for(lambda: calls.calls == 1)
            assert app.test_client().get("/healthz").status_code == 200
            job = s.scheduler.get_job(PIPELINE_JOB)
            until_next = job.next_run_time - datetime.now(UTC)
            assert timedelta(hours=5, minutes=59) < until_next <= timedelta(hours=6)
        finally:
            s.shutdown()
    assert not s.scheduler.running
