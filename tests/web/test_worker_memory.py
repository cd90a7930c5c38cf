"""A web worker drops its mapped index pages after a request once its RSS passes
PAPERSIFT_WORKER_RSS_MB (web/worker_memory.py, services/worker_memory.py)."""

from __future__ import annotations

import sys

import pytest

from ingest import indexing
from services import worker_memory
from tests.factories import add_papers, record
from tests.recommend.test_mapped_pages import mapped_rss_mb

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="RSS and madvise(MADV_DONTNEED) as Linux has them")

TOPICS = ("graph neural networks for molecules", "transformers for long documents",
          "reinforcement learning with sparse rewards", "diffusion models for images")


def indexed_app(make_app, **settings):
    app = make_app(page_cache_seconds=0, **settings)
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *(record(id=f"2401.{i:05d}", title=f"On {TOPICS[i % 4]} ({i})",
                                abstract=f"We study {TOPICS[i % 4]} and {TOPICS[(i + 1) % 4]}.")
                         for i in range(40)))
    indexing.build(engine, app.config["SETTINGS"], force=True)
    return app


def paper_page_index_rss(app) -> float:
    """The MB of the index version mapped in this process after one paper page was sent."""
    response = app.test_client().get("/paper/2401.00003")
    assert response.status_code == 200
    response.close()                 # the server closes a response once its body is sent
    return mapped_rss_mb(app.config["SETTINGS"].index_dir)


def test_past_the_limit_the_pages_are_dropped_after_the_request(make_app) -> None:
    app = indexed_app(make_app, worker_rss_mb=1)        # any process is over 1 MB
    assert paper_page_index_rss(app) == 0


def test_under_the_limit_the_pages_stay(make_app) -> None:
    app = indexed_app(make_app, worker_rss_mb=10**7)
    assert paper_page_index_rss(app) > 0


def test_zero_turns_it_off(make_app, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(worker_memory, "drop_mapped_pages", lambda: calls.append(1) or 0)
    app = indexed_app(make_app, worker_rss_mb=0)
    assert paper_page_index_rss(app) > 0
    assert worker_memory.drop_mapped_pages_past(0) is False
    assert calls == []


def test_without_proc_it_does_nothing(monkeypatch) -> None:
    monkeypatch.setattr(worker_memory, "resident_mb", lambda: None)
    monkeypatch.setattr(worker_memory, "drop_mapped_pages", lambda: pytest.fail("dropped"))
    assert worker_memory.drop_mapped_pages_past(1) is False
