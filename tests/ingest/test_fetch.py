"""The fetch use-case against the loopback fake arXiv: paging, incremental stop, versions,
--max, --since backfill, run records, User-Agent and the politeness floor."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ingest.arxiv_client import PoliteClient, effective_delay, search_page, user_agent
from ingest.fetch import date_windows, fetch_new
from store import runs, utcnow
from store.db import open_store
from store.schema import fulltext, papers
from tests.helpers.ingest import NOW, Sleeper
from tests.ingest.fakearxiv import ATOM_DIR, Entry, FakeArxiv, Fault, real_entries


def stored(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(papers.c.id, papers.c.version)).all())


def test_first_fetch_pages_through_everything_and_records_the_run(fetch_settings, fake, client):
    engine = open_store(fetch_settings)
    summary = fetch_new(engine, fetch_settings, client=client, now=NOW)

    assert summary.status == "ok", summary.text()
    assert stored(engine) == {e.id: 1 for e in fake.entries}
    assert (summary.new, summary.updated, summary.requests, summary.pages) == (40, 0, 4, 4)
    reqs = fake.api_requests()
    assert [r.params["start"] for r in reqs] == ["0", "10", "20", "30"]
    assert reqs[0].params["search_query"] == "cat:cs.CV"
    assert reqs[0].params["sortBy"] == "lastUpdatedDate"
    assert reqs[0].params["sortOrder"] == "descending"
    assert "ops@example.org" in reqs[0].headers["User-Agent"]
    with engine.connect() as conn:
        run = runs.get_run(conn, summary.run_id)
    assert (run.kind, run.status, run.requests, run.new, run.errors) == ("fetch", "ok", 4, 40, 0)
    assert run.ended is not None and run.cursor["complete"] is True


def test_routine_run_stops_at_what_the_last_run_saw(fetch_settings, fake, client):
    engine = open_store(fetch_settings)
    fetch_new(engine, fetch_settings, client=client, now=NOW)
    newest = max(e.updated for e in fake.entries)
    fresh = [Entry(f"2604.9{i:04d}", 1, f"Fresh paper {i}", ("A. Author",), "An abstract.", ("cs.CV",),
                   newest + timedelta(hours=i + 1), newest + timedelta(hours=i + 1)) for i in range(3)]
    fake.entries.extend(fresh)
    before = len(fake.api_requests())

    summary = fetch_new(engine, fetch_settings, client=client, now=NOW)

    assert summary.status == "ok"
    assert (summary.new, summary.updated) == (3, 0)
    # six hours of overlap (entries are an hour apart) + 3 new fit in one page of 10
    assert len(fake.api_requests()) - before == 1
    assert "reached entries already fetched" in summary.message
    assert len(stored(engine)) == 43


def test_once_a_day_a_routine_run_catches_papers_announced_days_late(fetch_settings, fake, client):
    engine = open_store(fetch_settings)
    fetch_new(engine, fetch_settings, client=client, now=NOW)           # a first run sweeps
    newest = max(e.updated for e in fake.entries)
    held = newest - timedelta(days=2)        # submitted two days ago, announced only now
    fake.entries.append(Entry("2604.99999", 1, "Held in moderation", ("A. Author",), "An abstract.",
                              ("cs.CV",), held, held))

    same_day = fetch_new(engine, fetch_settings, client=client, now=NOW + timedelta(hours=6))
    assert "2604.99999" not in stored(engine)                            # below the watermark
    assert "daily sweep" not in same_day.message

    next_day = fetch_new(engine, fetch_settings, client=client, now=NOW + timedelta(hours=25))
    assert next_day.status == "ok" and next_day.new == 1
    assert stored(engine)["2604.99999"] == 1
    assert "daily sweep" in next_day.message
    # the sweep counts as today's: the next routine run is short again
    before = len(fake.api_requests())
    fetch_new(engine, fetch_settings, client=client, now=NOW + timedelta(hours=26))
    assert len(fake.api_requests()) - before == 1


def test_the_daily_sweep_can_be_turned_off(data_dir, fake, client):
    from tests.helpers.ingest import settings_for

    settings = settings_for(data_dir, fake, fetch_lookback_days=0)
    engine = open_store(settings)
    fetch_new(engine, settings, client=client, now=NOW)
    held = max(e.updated for e in fake.entries) - timedelta(days=2)
    fake.entries.append(Entry("2604.99999", 1, "Held", ("A. Author",), "Abstract.", ("cs.CV",), held, held))
    summary = fetch_new(engine, settings, client=client, now=NOW + timedelta(days=3))
    assert summary.new == 0 and "daily sweep" not in summary.message


def test_new_version_updates_in_place_and_marks_full_text_stale(fetch_settings, fake, client):
    engine = open_store(fetch_settings)
    fetch_new(engine, fetch_settings, client=client, now=NOW)
    target = fake.entries[5].id
    with engine.begin() as conn:
        conn.execute(fulltext.insert().values(paper_id=target, version=1, status="ok", attempts=1,
                                              updated=datetime(2026, 4, 2)))
    fake.bump(target, at=NOW - timedelta(hours=1), title="A revised title for version two")

    summary = fetch_new(engine, fetch_settings, client=client, now=NOW)

    assert (summary.status, summary.new, summary.updated) == ("ok", 0, 1)
    with engine.connect() as conn:
        row = conn.execute(select(papers).where(papers.c.id == target)).one()
        ft = conn.execute(select(fulltext.c.status).where(fulltext.c.paper_id == target)).scalar_one()
        count = conn.execute(select(papers.c.id)).all()
    assert (row.version, row.title) == (2, "A revised title for version two")
    assert ft == "stale"
    assert len(count) == 40


def test_max_bounds_a_run_and_does_not_move_the_watermark(fetch_settings, fake, client):
    engine = open_store(fetch_settings)
    summary = fetch_new(engine, fetch_settings, client=client, now=NOW, max_papers=15)

    newest15 = sorted(fake.entries, key=lambda e: e.updated, reverse=True)[:15]
    assert summary.status == "ok" and "--max 15" in summary.message
    assert set(stored(engine)) == {e.id for e in newest15}
    # the next run is not fooled into stopping at the bounded run's newest entry
    again = fetch_new(engine, fetch_settings, client=client, now=NOW)
    assert again.status == "ok"
    assert set(stored(engine)) == {e.id for e in fake.entries}


def test_since_backfills_by_submitted_date_windows(data_dir, sleeper):
    entries = real_entries(30, start=datetime(2026, 2, 1, 12))
    spread = [Entry(e.id, 1, e.title, e.authors, e.abstract, e.categories, d, d)
              for e, d in zip(entries, (datetime(2026, 2, 1) + timedelta(days=2 * i, hours=5)
                                        for i in range(30)), strict=True)]
    with FakeArxiv(spread) as fake:
        from tests.helpers.ingest import settings_for

        settings = settings_for(data_dir, fake)
        engine = open_store(settings)
        client = PoliteClient(delay=0, timeout=2, retries=3, sleep=sleeper)
        summary = fetch_new(engine, settings, client=client, since=date(2026, 2, 15),
                            now=datetime(2026, 4, 5, 12))
        queries = [r.params["search_query"] for r in fake.api_requests()]

    expected = {e.id for e in spread if e.published >= datetime(2026, 2, 15)}
    assert summary.status == "ok", summary.text()
    assert set(stored(engine)) == expected
    assert all("submittedDate:[" in q for q in queries)
    windows = date_windows(datetime(2026, 2, 15), datetime(2026, 4, 5, 12))
    assert set(queries) == {f"cat:cs.CV AND submittedDate:[{lo} TO {hi}]" for lo, hi in windows}


def test_date_windows_cover_the_range_without_gaps():
    windows = date_windows(datetime(2026, 1, 1), datetime(2026, 1, 20, 6, 30), days=7)
    assert windows[0][1] == "202601200630" and windows[-1][0] == "202601010000"
    for (lo, _hi), (_lo2, hi2) in zip(windows, windows[1:], strict=False):
        gap = datetime.strptime(lo, "%Y%m%d%H%M") - datetime.strptime(hi2, "%Y%m%d%H%M")
        assert gap == timedelta(minutes=1)


def test_recorded_arxiv_pages_parse_through_the_client(fake, client):
    """The real 2026 recordings served verbatim: paging counters and records come through."""
    for start in (0, 10):
        query = (f"search_query=all%3Atesting&start={start}&max_results=10&sortBy=lastUpdatedDate"
                 "&sortOrder=descending")
        fake.serve_file("/api/query", query, ATOM_DIR / f"api2026_search_all_testing_start{start}_max10.xml")
    first = search_page(client, fake.api_url, "all:testing", start=0, size=10)
    second = search_page(client, fake.api_url, "all:testing", start=10, size=10)
    assert (first.total_results, len(first.records), second.start_index) == (214881, 10, 10)
    assert first.records[0].id == "2202.12139"
    assert not {r.id for r in first.records} & {r.id for r in second.records}


def test_delay_floor_applies_only_to_public_arxiv_hosts():
    assert effective_delay("https://export.arxiv.org/api/query", 0.5) == 3.0
    assert effective_delay("https://arxiv.org/a", 1) == 3.0
    assert effective_delay("https://oaipmh.arxiv.org/oai", 10) == 10
    assert effective_delay("http://127.0.0.1:5001/api/query", 0.5) == 0.5
    assert effective_delay("https://notarxiv.org/api", 0) == 0


def test_client_spacing_against_the_public_host_waits_three_seconds():
    clock = [100.0]
    sleeper = Sleeper()

    def sleep(s: float) -> None:
        sleeper(s)
        clock[0] += s

    client = PoliteClient(delay=1.0, timeout=5, retries=1, sleep=sleep, clock=lambda: clock[0])
    client._last = 100.0  # a request just ended
    client.space("https://export.arxiv.org/api/query")
    assert sleeper.calls == [3.0]


def test_user_agent_names_the_contact():
    assert "ops@example.org" in user_agent("ops@example.org")
    assert "PAPERSIFT_CONTACT" in user_agent("")


def test_fetch_command_summary_exit_codes_and_bad_arguments(make_app, fake, monkeypatch):
    from ingest import arxiv_client

    waits: list[float] = []
    monkeypatch.setattr(arxiv_client.time, "sleep", waits.append)
    fake.entries = real_entries(40, start=utcnow() - timedelta(days=3))   # the CLI fetches up to now
    app = make_app(arxiv_api_url=fake.api_url, arxiv_delay=0.0, arxiv_page_size=10)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["fetch", "--category", "cs.CV", "--max", "12"])
    assert ok.exit_code == 0, ok.output
    assert "Fetch finished" in ok.output and "12 new" in ok.output
    assert fake.api_requests()[0].params["search_query"] == "cat:cs.CV"
    for args, message in ((["--category", "cs.LG OR all:x"], "not an arXiv category"),
                          (["--since", "yesterday"], "yesterday"), (["--max", "0"], "0")):
        bad = runner.invoke(args=["fetch", *args])
        assert bad.exit_code == 2 and message in bad.output
    fake.faults.update({n: Fault("status", status=503) for n in range(3, 20)})
    failed = runner.invoke(args=["fetch", "--category", "cs.CV"])
    assert failed.exit_code == 1 and "Fetch FAILED" in failed.output and "HTTP 503" in failed.output
    assert waits == [2.0, 4.0, 8.0, 16.0]                  # the default budget: 5 attempts
    app.extensions["papersift.engine"].dispose()


def test_a_second_fetch_while_one_runs_is_refused(fetch_settings, fake, client):
    from ingest.locks import FileLock

    engine = open_store(fetch_settings)
    with FileLock(fetch_settings.data_path / "fetch.lock") as other:
        assert other.acquire()
        busy = fetch_new(engine, fetch_settings, client=client, now=NOW)
    assert busy.status == "busy" and "another fetch is running" in busy.text()
    assert fake.api_requests() == []
    with engine.connect() as conn:
        assert runs.latest_runs(conn, "fetch") == []
    assert fetch_new(engine, fetch_settings, client=client, now=NOW).status == "ok"   # lock freed


def test_with_redis_the_fetch_lock_is_shared_across_processes(data_dir, fake, client, redis_server):
    from ingest.locks import RedisLock
    from tests.helpers.ingest import settings_for

    settings = settings_for(data_dir, fake, redis_url=redis_server)
    engine = open_store(settings)
    other = RedisLock(redis_server, "fetch")
    assert other.acquire()
    try:
        assert fetch_new(engine, settings, client=client, now=NOW).status == "busy"
    finally:
        other.close()
    assert fetch_new(engine, settings, client=client, now=NOW).status == "ok"
    assert not (settings.data_path / "fetch.lock").exists()


def test_the_first_fetch_says_how_far_back_it_looked_and_how_to_backfill(make_app, fake):
    fake.entries = real_entries(15, start=utcnow() - timedelta(days=20))   # 5 of them in the last week
    app = make_app(arxiv_api_url=fake.api_url, arxiv_delay=0.0, arxiv_page_size=10)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["fetch", "--category", "cs.CV"])
    week_ago = (utcnow() - timedelta(days=7)).date()
    assert first.exit_code == 0, first.output
    assert f"First fetch of this instance: looking back to {week_ago:%Y-%m-%d} only." in first.output
    assert "papersift fetch --since YYYY-MM-DD" in first.output
    assert f"first fetch: looked back 7 days, to {week_ago:%Y-%m-%d}" in first.output   # the run's note
    second = runner.invoke(args=["fetch", "--category", "cs.CV"])
    assert second.exit_code == 0, second.output
    assert "First fetch" not in second.output and "first fetch" not in second.output
    month_before = week_ago - timedelta(days=30)
    backfill = runner.invoke(args=["fetch", "--category", "cs.CV", "--since", f"{month_before}"])
    assert backfill.exit_code == 0 and "First fetch" not in backfill.output
    app.extensions["papersift.engine"].dispose()
