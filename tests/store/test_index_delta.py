"""The store's side of an incremental index update: the high-water mark a version records
and the papers changed since it (store/index_delta.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from store.fulltext import record_result
from store.index_delta import changed_paper_ids, high_water, stored_paper_ids
from store.papers import upsert_papers
from tests.factories import record

T0 = datetime(2026, 11, 1, 12, 0, 0)


def _store(engine, records, now):
    with engine.begin() as conn:
        upsert_papers(conn, records, now=now)


def _mark(engine):
    with engine.connect() as conn:
        return high_water(conn)


def _changed(engine, mark):
    with engine.connect() as conn:
        return changed_paper_ids(conn, mark)


def test_an_empty_store_has_no_mark_and_everything_is_new(engine) -> None:
    mark = _mark(engine)
    assert mark["papers"] is None and mark["fulltext"] is None
    _store(engine, [record(id="2611.00001")], T0)
    assert _changed(engine, mark) == ["2611.00001"]


def test_only_papers_changed_after_the_mark_are_read(engine) -> None:
    _store(engine, [record(id="2611.00001", published=datetime(2026, 1, 2)),
                    record(id="2611.00002", published=datetime(2026, 1, 1))], T0)
    mark = _mark(engine)
    assert mark["papers"] == T0.isoformat() and mark["papers_at_mark"] == ["2611.00001", "2611.00002"]
    assert _changed(engine, mark) == []
    _store(engine, [record(id="2611.00003", published=datetime(2026, 1, 3)),
                    record(id="2611.00001", published=datetime(2026, 1, 2), title="A new title")],
           T0 + timedelta(seconds=1))
    assert _changed(engine, mark) == ["2611.00001", "2611.00003"]     # index row order


def test_a_batch_with_the_marks_time_committed_later_is_read(engine) -> None:
    _store(engine, [record(id="2611.00001")], T0)
    mark = _mark(engine)
    _store(engine, [record(id="2611.00002")], T0)                       # the same stamp
    assert _changed(engine, mark) == ["2611.00002"]


def test_a_full_text_becoming_ok_or_stale_changes_the_paper(engine) -> None:
    _store(engine, [record(id="2611.00001"), record(id="2611.00002")], T0)
    mark = _mark(engine)
    with engine.begin() as conn:
        record_result(conn, "2611.00002", 1, status="ok", text="Full text.")
    assert _changed(engine, mark) == ["2611.00002"]
    after_text = _mark(engine)
    assert after_text["fulltext_at_mark"] == ["2611.00002"]
    assert _changed(engine, after_text) == []
    _store(engine, [record(id="2611.00002", version=2)], T0 + timedelta(days=1))
    assert _changed(engine, after_text) == ["2611.00002"]


def test_stored_ids_show_deleted_papers(engine) -> None:
    from sqlalchemy import delete

    from store.schema import papers

    _store(engine, [record(id="2611.00001"), record(id="2611.00002")], T0)
    with engine.begin() as conn:
        conn.execute(delete(papers).where(papers.c.id == "2611.00001"))
        assert stored_paper_ids(conn) == ["2611.00002"]


def test_a_paper_changed_again_right_after_its_change_was_indexed_is_read(engine) -> None:
    """Writers stamp changes to the microsecond: a revision in the same second as the
    indexed change must not hide behind the mark (or leave the fingerprint unchanged)."""
    from store.papers import fingerprint

    for attempt in range(5):
        with engine.begin() as conn:
            upsert_papers(conn, [record(id="2611.00001", title=f"Title {attempt}")])
        mark = _mark(engine)
        with engine.connect() as conn:
            before = fingerprint(conn)
        with engine.begin() as conn:
            upsert_papers(conn, [record(id="2611.00001", title=f"Revised {attempt}")])
            assert fingerprint(conn) != before
        assert _changed(engine, mark) == ["2611.00001"]


def test_a_full_text_recorded_right_after_the_mark_is_read(engine) -> None:
    _store(engine, [record(id="2611.00001")], T0)
    for attempt in range(5):
        with engine.begin() as conn:
            record_result(conn, "2611.00001", 1, status="ok", text=f"Text {attempt}.")
        mark = _mark(engine)
        with engine.begin() as conn:
            record_result(conn, "2611.00001", 1, status="ok", text=f"Other text {attempt}.")
        assert _changed(engine, mark) == ["2611.00001"]
