"""Extraction through RQ against a real redis-server gives what the local pool gives."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select

from ingest.fulltext_pipeline import run_fulltext
from ingest.fulltext_steps import QUEUE_NAME
from store.db import open_store
from store.schema import fulltext
from tests.factories import add_papers, record
from tests.helpers.fulltext import CASES, EXPECTED, fulltext_settings, serve_cases
from tests.helpers.paths import ROOT
from tests.redis_fixture import redis_server  # noqa: F401 - fixture

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def outcome(engine) -> dict:
    with engine.connect() as conn:
        return {r.paper_id: (r.status, r.reason, r.pages, r.chars, r.engine, r.attempts)
                for r in conn.execute(select(fulltext))}


def new_store(settings):
    engine = open_store(settings)
    add_papers(engine, *(record(id=pid, title=f"Case {pid}") for pid in CASES))
    return engine


def worker_env(settings, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERSIFT_", "REDIS_", "DATABASE_"))}
    env.update(PAPERSIFT_DATA_DIR=settings.data_dir, REDIS_URL=redis_url,
               PAPERSIFT_ARXIV_PDF_URL=settings.arxiv_pdf_url, PAPERSIFT_PDF_DELAY="0",
               PAPERSIFT_PDF_ENGINE=settings.pdf_engine, PAPERSIFT_ARXIV_RETRIES="2",
               PAPERSIFT_ARXIV_TIMEOUT="5", PAPERSIFT_SCHEDULER="0")
    return env


def papersift(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("papersift")), *args]


def run_beside_a_worker(engine, settings, env: dict):
    """`run_fulltext` while a `papersift worker` process listens, following its jobs."""
    worker = subprocess.Popen(papersift("worker"), env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        connection = Redis.from_url(settings.redis_url)
        deadline = time.monotonic() + 30
        while Worker.count(connection=connection) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        return run_fulltext(engine, settings)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.fixture
def local_outcome(tmp_path, pdf_server):
    serve_cases(pdf_server)
    settings = fulltext_settings(tmp_path / "local", pdf_server.url)
    engine = new_store(settings)
    run_fulltext(engine, settings, sleep=lambda s: None)
    result = outcome(engine)
    engine.dispose()
    return result


def test_jobs_wait_for_a_worker_and_a_burst_worker_stores_the_same_results(
        tmp_path, pdf_server, redis_server, local_outcome):  # noqa: F811
    settings = fulltext_settings(tmp_path / "rq", pdf_server.url, redis_url=redis_server)
    engine = new_store(settings)

    summary = run_fulltext(engine, settings)
    again = run_fulltext(engine, settings)             # nothing stored yet: same jobs, not re-queued

    assert summary.enqueued == 7 and "start `papersift worker`" in summary.note
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_server))
    assert again.enqueued == 7 and queue.count == 7
    subprocess.run(papersift("worker", "--burst"), env=worker_env(settings, redis_server), cwd=ROOT,
                   check=True, timeout=240, capture_output=True)

    assert queue.count == 0
    assert outcome(engine) == local_outcome
    assert {pid: status for pid, (status, *_rest) in outcome(engine).items()} == {
        pid: status for pid, (status, _text) in EXPECTED.items()}
    assert sorted(p.name for p in settings.thumb_dir.iterdir()) == [
        "2401.00001.png", "2401.00002.png", "2401.00007.png"]
    engine.dispose()


def test_run_fulltext_follows_the_jobs_of_a_running_worker(tmp_path, pdf_server, redis_server,  # noqa: F811
                                                           local_outcome):
    settings = fulltext_settings(tmp_path / "rq", pdf_server.url, redis_url=redis_server)
    engine = new_store(settings)
    summary = run_beside_a_worker(engine, settings, worker_env(settings, redis_server))

    assert (summary.enqueued, summary.ok, summary.failed) == (7, 3, 4)
    assert summary.reasons["encrypted PDF (needs a password)"] == 1
    assert outcome(engine) == local_outcome
    engine.dispose()


def test_worker_without_redis_explains_what_is_missing(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output


def test_workers_share_the_outage_rule_and_leave_the_rest_untouched(
        tmp_path, pdf_server, redis_server):  # noqa: F811
    from ingest.fulltext_steps import OUTAGE_AFTER
    from store.fulltext import candidates
    from tests.fulltext import pdfserver

    settings = fulltext_settings(tmp_path / "rq", pdf_server.url, redis_url=redis_server)
    engine = open_store(settings)
    ids = [f"2402.{i:05d}" for i in range(1, OUTAGE_AFTER + 4)]
    add_papers(engine, *(record(id=pid) for pid in ids))
    for pid in ids:
        pdf_server.route(f"{pid}v1", pdfserver.status(503))
    env = {**worker_env(settings, redis_server), "PAPERSIFT_ARXIV_RETRIES": "1"}
    summary = run_beside_a_worker(engine, settings, env)

    assert (summary.failed, summary.skipped) == (OUTAGE_AFTER, len(ids) - OUTAGE_AFTER)
    assert "downloads in a row failed" in summary.stopped and "left for the next run" in summary.summary()
    assert len(outcome(engine)) == OUTAGE_AFTER                   # recorded, but at no cost:
    assert {attempts for *_rest, attempts in outcome(engine).values()} == {0}
    with engine.connect() as conn:
        assert len(candidates(conn, max_attempts=3)) == len(ids)
    assert Redis.from_url(redis_server).ttl("papersift:pdf-outage") > 0      # tried again later
    Redis.from_url(redis_server).delete("papersift:pdf-outage")             # for the other tests
    engine.dispose()
