"""Each fault the live arXiv API shows, injected by the loopback server: the run either
completes with exactly the expected papers, or stops with a clear error and nothing lost."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from ingest.arxiv_client import PoliteClient
from ingest.fetch import fetch_new
from store import runs
from store.db import open_store
from store.schema import papers
from tests.helpers.ingest import NOW, settings_for
from tests.ingest.fakearxiv import ATOM_DIR, Entry, Fault


def snapshot(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(papers).order_by(papers.c.id))]


def ids(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(papers.c.id)).scalars())


def run(settings, client):
    engine = open_store(settings)
    return engine, fetch_new(engine, settings, client=client, now=NOW)


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured_then_the_run_completes(fetch_settings, fake, client, sleeper, status):
    fake.faults[2] = Fault("status", status=status, retry_after="7")
    engine, summary = run(fetch_settings, client)

    assert summary.status == "ok", summary.text()
    assert ids(engine) == {e.id for e in fake.entries}
    assert summary.requests == 5
    assert sleeper.calls and max(sleeper.calls) >= 7
    starts = [r.params["start"] for r in fake.api_requests()]
    assert starts == ["0", "10", "10", "20", "30"]


def test_retry_after_as_http_date_and_exponential_backoff(fetch_settings, fake, client, sleeper):
    fake.faults[1] = Fault("status", status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")  # past
    fake.faults[2] = Fault("status", status=502)
    fake.faults[3] = Fault("status", status=500)
    engine, summary = run(fetch_settings, client)
    assert summary.status == "ok"
    assert sleeper.calls == [2.0, 4.0, 8.0]          # backoff 2 s doubling; a past date adds nothing
    assert len(ids(engine)) == 40


def test_a_hang_past_the_read_timeout_is_retried(data_dir, fake, sleeper):
    settings = settings_for(data_dir, fake, arxiv_timeout=0.3)
    fake.faults[2] = Fault("hang", seconds=3)
    client = PoliteClient(delay=0, timeout=0.3, retries=3, sleep=sleeper)
    started = time.monotonic()
    engine, summary = run(settings, client)

    assert summary.status == "ok", summary.text()
    assert ids(engine) == {e.id for e in fake.entries}
    assert time.monotonic() - started < 3            # the client gave up on the hang, not the server
    assert summary.requests == 5


def test_a_truncated_xml_body_is_retried(fetch_settings, fake, client):
    fake.faults[3] = Fault("truncate")
    engine, summary = run(fetch_settings, client)
    assert summary.status == "ok"
    assert ids(engine) == {e.id for e in fake.entries}
    assert [r.params["start"] for r in fake.api_requests()] == ["0", "10", "20", "20", "30"]


def test_an_intermittent_empty_page_is_retried_before_being_believed(fetch_settings, fake, client):
    fake.faults[2] = Fault("empty")
    fake.faults[3] = Fault("empty")
    engine, summary = run(fetch_settings, client)
    assert summary.status == "ok"
    assert ids(engine) == {e.id for e in fake.entries}
    assert summary.requests == 6


def test_a_dropped_connection_is_retried(fetch_settings, fake, client):
    fake.faults[1] = Fault("reset")
    engine, summary = run(fetch_settings, client)
    assert summary.status == "ok"
    assert len(ids(engine)) == 40


def test_duplicate_entries_across_pages_are_stored_once(fetch_settings, fake, client):
    """A paper published mid-run shifts the listing: page 2 repeats page 1's last entry."""
    top = max(fake.entries, key=lambda e: e.updated)
    newcomer = Entry("2604.00001", 1, "A paper that arrived mid-run", ("N. Ew",), "Abstract.", ("cs.CV",),
                     top.updated.replace(hour=23), top.updated.replace(hour=23))
    fake.faults[2] = Fault("insert", entry=newcomer)
    engine, summary = run(fetch_settings, client)

    assert summary.status == "ok"
    assert ids(engine) == {e.id for e in fake.entries} - {newcomer.id}   # the next run gets it
    assert (summary.new, summary.unchanged, summary.errors) == (40, 1, 0)
    again = fetch_new(engine, fetch_settings, client=client, now=NOW)
    assert again.new == 1 and newcomer.id in ids(engine)


def test_retry_budget_spent_stops_cleanly_keeps_pages_and_resumes(fetch_settings, fake, client):
    for n in range(2, 6):                        # 4 attempts at page 2, all 503
        fake.faults[n] = Fault("status", status=503)
    engine, summary = run(fetch_settings, client)

    assert summary.status == "failed"
    assert "gave up" in summary.message and "HTTP 503" in summary.message and "4 attempts" in summary.message
    first_page = sorted(fake.entries, key=lambda e: e.updated, reverse=True)[:10]
    assert ids(engine) == {e.id for e in first_page}
    with engine.connect() as conn:
        failed = runs.get_run(conn, summary.run_id)
    assert (failed.status, failed.requests, failed.new) == ("failed", 5, 10)

    resumed = fetch_new(engine, fetch_settings, client=client, now=NOW)
    assert resumed.status == "ok" and resumed.resumed_from == summary.run_id
    assert fake.api_requests()[5].params["start"] == "10"        # continued, did not restart
    assert ids(engine) == {e.id for e in fake.entries}


def test_malformed_xml_every_time_is_recorded_and_the_store_is_unchanged(fetch_settings, fake, client):
    engine, first = run(fetch_settings, client)
    before = snapshot(engine)
    fake.bump(fake.entries[0].id, at=NOW)
    for n in range(len(fake.requests) + 1, len(fake.requests) + 5):
        fake.faults[n] = Fault("truncate")

    second = fetch_new(engine, fetch_settings, client=client, now=NOW)

    assert second.status == "failed"
    assert "malformed or truncated XML" in second.message
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert runs.get_run(conn, second.run_id).status == "failed"


def test_an_api_error_response_stops_at_once_with_its_message(fetch_settings, fake, client):
    body = (ATOM_DIR / "api2026_id_list_abc_error_http400.xml").read_bytes()
    fake.faults[1] = Fault("body", status=400, body=body)
    engine, summary = run(fetch_settings, client)
    assert summary.status == "failed"
    assert "incorrect id format for abc" in summary.message
    assert summary.requests == 1 and ids(engine) == set()


def test_requests_never_arrive_closer_than_the_delay(data_dir, fake):
    """Real sleeping, measured at the server: 0.25 s apart even around a retried 503."""
    delay = 0.25
    settings = settings_for(data_dir, fake, arxiv_delay=delay)
    fake.faults[2] = Fault("status", status=503, retry_after="0")
    client = PoliteClient(delay=delay, timeout=2, retries=3, backoff=0.0)
    engine, summary = run(settings, client)

    assert summary.status == "ok"
    arrivals = [r.at for r in fake.api_requests()]
    assert len(arrivals) == 5
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= delay, gaps


def test_an_empty_page_that_persists_ends_the_run_without_moving_the_watermark(fetch_settings, fake, client):
    for n in range(2, 6):                                   # 1 + 3 retries, all empty: believed
        fake.faults[n] = Fault("empty")
    engine, summary = run(fetch_settings, client)
    assert summary.status == "ok"
    assert "empty page at start=10" in summary.message
    assert len(ids(engine)) == 10
    again = fetch_new(engine, fetch_settings, client=client, now=NOW)   # not fooled: reads on
    assert again.status == "ok" and again.new == 30
    assert ids(engine) == {e.id for e in fake.entries}
