"""`run_fulltext` end to end: loopback PDF server -> isolated extraction -> store."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from ingest.fulltext_pipeline import run_fulltext
from store.fulltext import candidates, get_text, status_counts
from store.runs import latest_runs
from store.schema import fulltext
from tests.factories import add_papers, record
from tests.fulltext import pdfserver
from tests.helpers.fulltext import EXPECTED, PDFS, fulltext_settings, serve_cases


def rows(engine) -> dict:
    with engine.connect() as conn:
        return {r.paper_id: r for r in conn.execute(select(fulltext))}


def texts(engine) -> dict:
    with engine.connect() as conn:
        return {pid: get_text(conn, pid) for pid in EXPECTED}


@pytest.fixture
def ft_settings(data_dir, pdf_server):
    return fulltext_settings(data_dir, pdf_server.url)


def test_a_batch_stores_text_for_good_pdfs_and_reasons_for_broken_ones(engine, case_papers, pdf_server,
                                                                       ft_settings, settings):
    serve_cases(pdf_server)
    sleeps: list[float] = []

    summary = run_fulltext(engine, ft_settings, sleep=sleeps.append)

    assert (summary.candidates, summary.ok, summary.failed) == (7, 3, 4)
    stored, text = rows(engine), texts(engine)
    for pid, (status, expected) in EXPECTED.items():
        assert stored[pid].status == status, (pid, stored[pid].reason)
        assert stored[pid].attempts == 1 and stored[pid].version == 1
        if status == "ok":
            assert expected in " ".join(text[pid].split())
            assert stored[pid].chars == len(text[pid]) and stored[pid].pages >= 1
            assert stored[pid].engine == "pdfium" and stored[pid].seconds >= 0
            assert (ft_settings.thumb_dir / f"{pid}.png").is_file()
        else:
            assert stored[pid].reason.startswith(expected), stored[pid].reason
            assert text[pid] is None
            assert not (ft_settings.thumb_dir / f"{pid}.png").exists()
    assert list(ft_settings.pdf_dir.iterdir()) == []          # no PDFs kept, no partial files
    with engine.connect() as conn:
        counts = status_counts(conn)
    assert counts["ok"] == 3 and counts["failed"] == 4 and counts["pending"] == 0
    assert counts["reasons"]["encrypted PDF (needs a password)"] == 1
    assert "4 failed of 7 papers" in summary.summary()
    with engine.connect() as conn:
        run = latest_runs(conn, "fulltext")[0]
    assert (run.status, run.new, run.errors) == ("ok", 3, 4)
    assert "4 failed of 7 papers" in run.message


def test_failed_papers_are_retried_a_bounded_number_of_times(engine, case_papers, pdf_server, data_dir):
    serve_cases(pdf_server)
    settings = fulltext_settings(data_dir, pdf_server.url, fulltext_max_attempts=2)
    first = run_fulltext(engine, settings, sleep=lambda s: None)
    second = run_fulltext(engine, settings, sleep=lambda s: None)
    third = run_fulltext(engine, settings, sleep=lambda s: None)

    assert (first.candidates, second.candidates, third.candidates) == (7, 4, 0)
    assert {pid: r.attempts for pid, r in rows(engine).items() if r.status == "failed"} == {
        "2401.00003": 2, "2401.00004": 2, "2401.00005": 2, "2401.00006": 2}
    again = run_fulltext(engine, settings, retry_failed=True, sleep=lambda s: None)
    assert again.candidates == 4
    assert rows(engine)["2401.00003"].attempts == 3


def test_a_new_version_makes_the_text_stale_and_it_is_extracted_again(engine, case_papers, pdf_server,
                                                                      ft_settings):
    serve_cases(pdf_server)
    run_fulltext(engine, ft_settings, limit=1, sleep=lambda s: None)
    assert rows(engine)["2401.00007"].status == "ok"          # newest first
    add_papers(engine, record(id="2401.00007", version=2, published=datetime(2024, 1, 7),
                              title="Case 2401.00007 revised"))
    assert rows(engine)["2401.00007"].status == "stale"
    serve_cases(pdf_server, version=2)

    with engine.connect() as conn:
        assert candidates(conn, max_attempts=3, limit=1)[0].version == 2
    run_fulltext(engine, ft_settings, limit=1, sleep=lambda s: None)

    row = rows(engine)["2401.00007"]
    assert (row.status, row.version, row.attempts) == ("ok", 2, 1)
    assert pdf_server.requests[-1][0] == "/pdf/2401.00007v2"


def test_downloads_are_paced_by_the_delay(engine, pdf_server, data_dir):
    from tests.helpers.fulltext import CASES

    add_papers(engine, *(record(id=f"2402.0000{i}") for i in range(1, 5)))
    for i in range(1, 5):
        pdf_server.route(f"2402.0000{i}v1", CASES["2401.00001"])
    settings = fulltext_settings(data_dir, pdf_server.url, pdf_delay=2.5)
    sleeps: list[float] = []

    summary = run_fulltext(engine, settings, sleep=sleeps.append, clock=lambda: 1000.0)

    assert summary.ok == 4
    assert sleeps == [2.5, 2.5, 2.5]


def test_kept_pdfs_stay_in_the_cache_and_are_not_downloaded_again(engine, case_papers, pdf_server,
                                                                   data_dir):
    serve_cases(pdf_server)
    settings = fulltext_settings(data_dir, pdf_server.url, keep_pdfs=True)
    run_fulltext(engine, settings, limit=2, sleep=lambda s: None)
    kept = sorted(p.name for p in settings.pdf_dir.iterdir())
    assert kept == ["2401.00007v1.pdf"]                         # 2401.00006 is a 404
    asked = len(pdf_server.requests)
    with engine.begin() as conn:
        conn.execute(fulltext.delete())
    run_fulltext(engine, settings, limit=1, sleep=lambda s: None)
    assert len(pdf_server.requests) == asked                   # served from the cache
    assert rows(engine)["2401.00007"].status == "ok"


def test_the_cache_budget_is_kept_while_downloading(engine, pdf_server, data_dir):
    from tests.helpers.fulltext import CASES

    add_papers(engine, *(record(id=f"2403.0000{i}", published=datetime(2024, 3, i)) for i in range(1, 4)))
    for i in range(1, 4):
        pdf_server.route(f"2403.0000{i}v1", CASES["2401.00002"])   # ~0.4 MB each
    settings = fulltext_settings(data_dir, pdf_server.url, keep_pdfs=True, pdf_cache_mb=3, pdf_workers=1)

    summary = run_fulltext(engine, settings, sleep=lambda s: None)

    assert summary.ok == 3
    kept = list(settings.pdf_dir.iterdir())                    # 2.1 MB each: one fits in 3 MB
    assert len(kept) == 1 and sum(p.stat().st_size for p in kept) <= 3 * 1024 * 1024


def _papers(engine, n: int) -> list[str]:
    ids = [f"2402.{i:05d}" for i in range(1, n + 1)]
    add_papers(engine, *(record(id=pid, published=datetime(2024, 2, i)) for i, pid in enumerate(ids, 1)))
    return ids


def test_an_outage_stops_the_run_before_it_uses_up_every_papers_attempts(engine, pdf_server, data_dir):
    from ingest.fulltext_steps import OUTAGE_AFTER

    ids = _papers(engine, OUTAGE_AFTER + 4)
    for pid in ids:
        pdf_server.route(f"{pid}v1", pdfserver.status(503))
    summary = run_fulltext(engine, fulltext_settings(data_dir, pdf_server.url), sleep=lambda s: None)

    assert summary.failed == OUTAGE_AFTER and summary.ok == 0
    assert "downloads in a row failed" in summary.stopped and "next run" in summary.summary()
    assert "papers/s" not in summary.summary()
    stored = rows(engine)                                     # the failures show, but cost
    assert len(stored) == OUTAGE_AFTER                        # no attempt: none is ever dropped
    assert {r.attempts for r in stored.values()} == {0} and {r.status for r in stored.values()} == {"failed"}
    asked = {path.split("/")[-1] for path, _, _ in pdf_server.requests}
    assert len(asked) == OUTAGE_AFTER
    with engine.connect() as conn:
        run = latest_runs(conn, "fulltext")[0]
        assert len(candidates(conn, max_attempts=3)) == len(ids)
    assert run.status == "failed" and "Stopped early" in run.message
    for _ in range(3):                                        # outage after outage: still there
        run_fulltext(engine, fulltext_settings(data_dir, pdf_server.url), sleep=lambda s: None)
    with engine.connect() as conn:
        assert len(candidates(conn, max_attempts=3)) == len(ids)


def test_failures_between_good_downloads_or_permanent_ones_do_not_stop_the_run(engine, pdf_server, data_dir):
    from ingest.fulltext_steps import OUTAGE_AFTER

    almost = [pdfserver.status(503)] * (OUTAGE_AFTER - 1)
    # a good PDF, or a 404 (a permanent failure: the host answered), ends each run of 503s
    good = pdfserver.pdf(PDFS / "arxiv_2305.03393v1_page9_only.pdf")
    replies = [*almost, good, *almost, pdfserver.status(404), *almost]
    ids = _papers(engine, len(replies))
    for pid, reply in zip(ids, replies, strict=True):
        pdf_server.route(f"{pid}v1", reply)
    summary = run_fulltext(engine, fulltext_settings(data_dir, pdf_server.url), sleep=lambda s: None)

    assert summary.stopped is None
    assert (summary.ok, summary.failed) == (1, len(ids) - 1)
