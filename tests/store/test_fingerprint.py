"""The store's fingerprint (is an index version current?) and the page cache's change mark."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from store.fulltext import record_result
from store.papers import change_mark, fingerprint, upsert_papers
from store.schema import fulltext, papers
from tests.factories import record

T0 = datetime(2026, 11, 1, 12, 0, 0)


def _one_query_fingerprint(conn) -> str:
    """The fingerprint as one select per table, as every existing index version recorded it."""
    n, last = conn.execute(select(func.count(), func.max(papers.c.modified))).one()
    fn, flast = conn.execute(
        select(func.count(), func.max(fulltext.c.updated)).where(fulltext.c.status == "ok")).one()
    return f"papers={n}@{last}|fulltext={fn}@{flast}"


def test_the_fingerprint_is_the_one_existing_versions_recorded(engine):
    """Asked a figure at a time, the fingerprint reads the same: no version built before goes
    stale (and rebuilds) because of how it is asked."""
    with engine.begin() as conn:
        assert fingerprint(conn) == _one_query_fingerprint(conn) == "papers=0@None|fulltext=0@None"
        upsert_papers(conn, [record(id=f"2411.{n:05d}") for n in range(1, 6)], now=T0)
        record_result(conn, "2411.00001", 1, status="ok", text="words " * 20, pages=1)
        record_result(conn, "2411.00002", 1, status="failed", reason="broken PDF")
        assert fingerprint(conn) == _one_query_fingerprint(conn)
        assert fingerprint(conn).startswith("papers=5@2026-11-01 12:00:00|fulltext=1@")


def test_the_change_mark_moves_with_every_write_of_papers_or_full_texts(engine):
    marks = []
    with engine.begin() as conn:
        marks.append(change_mark(conn))
        upsert_papers(conn, [record(id="2411.00001")], now=T0)
        marks.append(change_mark(conn))
        upsert_papers(conn, [record(id="2411.00001", title="A revised title")], now=T0)
        marks.append(change_mark(conn))
        record_result(conn, "2411.00001", 1, status="failed", reason="broken PDF")
        marks.append(change_mark(conn))
        record_result(conn, "2411.00001", 1, status="ok", text="words " * 20, pages=1)
        marks.append(change_mark(conn))
        upsert_papers(conn, [record(id="2411.00001", title="A revised title")], now=T0)
        marks.append(change_mark(conn))                  # nothing changed: the same mark
    assert len(set(marks)) == 5 and marks[-1] == marks[-2]
