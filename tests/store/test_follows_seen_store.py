"""The follows and seen tables on both databases: per-user rows, idempotent writes,
case-insensitive author look-ups, and rows leaving with their account."""

from datetime import datetime

import pytest
from sqlalchemy import event, func, select

from recommend.author_names import needles, parse_name
from store import follows as follow_store
from store import seen as seen_store
from store.schema import follows, seen
from store.users import create_user, delete_user
from tests.factories import add_papers, record


def test_author_lookup_is_case_insensitive_and_newest_first(engine):
    add_papers(engine, record(id="2402.00001", authors=["Jörg Müller"], published=datetime(2024, 2, 1)),
               record(id="2402.00002", authors=["J. MÜLLER", "Ada Lovelace"], published=datetime(2024, 2, 3)),
               record(id="2402.00003", authors=["Ada 100%_Lovelace"], published=datetime(2024, 2, 2)))
    with engine.connect() as conn:
        wanted = needles(parse_name("j. müller"), "j. müller")
        assert [p.id for p in follow_store.papers_naming(conn, wanted)] == ["2402.00002", "2402.00001"]
        assert [p.id for p in follow_store.papers_naming(conn, ["lovelace"])] == ["2402.00002", "2402.00003"]
        assert follow_store.papers_naming(conn, ["L_velace"]) == []          # _ is no wildcard
        assert follow_store.papers_naming(conn, ["%"]) == []                 # nor %


def test_author_lookup_folds_accents_both_ways(engine):
    add_papers(engine, record(id="2402.00001", authors=["Jörg Müller"], published=datetime(2024, 2, 1)),
               record(id="2402.00002", authors=["Jorg Muller"], published=datetime(2024, 2, 3)),
               record(id="2402.00003", authors=["Ada Lovelace"], published=datetime(2024, 2, 2)))
    with engine.connect() as conn:
        for typed in ("Jörg Müller", "Jorg Muller", "J. MULLER", "müller"):
            wanted = needles(parse_name(typed), typed)
            found = [p.id for p in follow_store.papers_naming(conn, wanted)]
            assert found == ["2402.00002", "2402.00001"], typed


def test_author_lookup_matches_last_names_whole(engine):
    """"Li" finds Li, not Liu, Oliveira or Li-Wei Chen: with a common short name, papers by
    others would crowd the 2,000 newest candidates and push the author's own older papers out."""
    add_papers(engine, record(id="2402.00001", authors=["Wei Li"], published=datetime(2024, 2, 1)),
               record(id="2402.00002", authors=["Yang Liu", "Ana Oliveira"], published=datetime(2024, 2, 3)),
               record(id="2402.00003", authors=["Luca Gioffrè", "Li-Wei Chen", "J. van der Waals"],
                      published=datetime(2024, 2, 2)))
    with engine.connect() as conn:
        def ids(*wanted):
            return [p.id for p in follow_store.papers_naming(conn, list(wanted))]

        assert ids("li") == ["2402.00001"]
        assert ids("Gioffre") == ids("gioffrè") == ["2402.00003"]
        assert ids("liu", "li") == ["2402.00002", "2402.00001"]
        assert ids("van der waals") == ["2402.00003"] and ids("waals") == []
        assert ids("oliv") == [] and ids("—") == []


def test_author_lookup_follows_changed_author_lists_and_dates(engine):
    from store.papers import upsert_papers

    add_papers(engine, record(id="2402.00001", authors=["Ada Lovelace"], published=datetime(2024, 2, 1)),
               record(id="2402.00002", authors=["Ada Lovelace"], published=datetime(2024, 2, 3)))
    with engine.begin() as conn:       # a new version renames an author and moves the first date
        upsert_papers(conn, [record(id="2402.00001", version=2, authors=["Ada King"],
                                    published=datetime(2024, 2, 5), updated=datetime(2024, 3, 1))])
        upsert_papers(conn, [record(id="2402.00002", version=2, authors=["Ada Lovelace", "Ada King"],
                                    published=datetime(2024, 2, 3), updated=datetime(2024, 3, 2))])
    with engine.connect() as conn:
        assert [p.id for p in follow_store.papers_naming(conn, ["lovelace"])] == ["2402.00002"]
        assert [p.id for p in follow_store.papers_naming(conn, ["king"])] == ["2402.00001", "2402.00002"]
        limited = follow_store.papers_naming(conn, ["king", "lovelace"], limit=1)
        assert [p.id for p in limited] == ["2402.00001"]
        since = follow_store.papers_naming(conn, ["king"], since=datetime(2024, 2, 4))
        assert [p.id for p in since] == ["2402.00001"]


def test_author_lists_are_the_papers_of_the_lookup_in_brief(engine):
    add_papers(engine, *[record(id=f"2402.{i:05d}", authors=["Ada Lovelace", f"Coauthor {i}"],
                                published=datetime(2024, 2, 1 + i % 3)) for i in range(1, 8)])
    with engine.connect() as conn:
        for since in (None, datetime(2024, 2, 2)):
            whole = follow_store.papers_naming(conn, ["lovelace"], since=since, limit=5)
            brief = follow_store.author_lists_naming(conn, ["lovelace"], since=since, limit=5)
            assert [(p.id, p.published, p.authors) for p in whole] == [tuple(b) for b in brief]
            assert len(brief) == 5 and all(since is None or b.published >= since for b in brief)


def test_author_lookup_follows_a_corrected_author_list_of_the_same_version(engine):
    """A re-import of the same version with another author list (a metadata correction) moves
    the paper from the old name to the new, and a row left from before fails nothing."""
    from sqlalchemy import text

    from store.papers import upsert_papers

    add_papers(engine, record(id="2402.00001", authors=["Ada Lovelace", "Alan Turing"]))
    with engine.begin() as conn:
        upsert_papers(conn, [record(id="2402.00001", authors=["Ada King", "Alan Turing"])])
    with engine.connect() as conn:
        assert follow_store.papers_naming(conn, ["lovelace"]) == []
        assert [p.id for p in follow_store.papers_naming(conn, ["king", "turing"])] == ["2402.00001"]
    with engine.begin() as conn:       # a stale row, as a name parsed another way would leave
        conn.execute(text("INSERT INTO paper_author_names (last_name, published, paper_id) "
                          "SELECT 'hopper', published, id FROM papers"))
        upsert_papers(conn, [record(id="2402.00001", authors=["Grace Hopper"])])
    with engine.connect() as conn:
        assert [p.id for p in follow_store.papers_naming(conn, ["hopper"])] == ["2402.00001"]
        assert follow_store.papers_naming(conn, ["king"]) == []


def test_author_lookup_is_one_range_of_the_author_names_on_sqlite(engine):
    """The page of candidates is read from paper_author_names' key in order, never by a scan
    of the papers."""
    if engine.dialect.name != "sqlite":
        pytest.skip("query plans checked on SQLite; PostgreSQL's depend on table statistics")
    add_papers(engine, record(id="2402.00001", authors=["Ada Lovelace"]))
    seen_sql: list = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen_sql.append((statement, parameters))

    with engine.connect() as conn:
        event.listen(engine, "before_cursor_execute", keep)
        try:
            follow_store.papers_naming(conn, ["Lovelace"])
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        (statement, parameters), = seen_sql
        plan = " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "paper_author_names USING PRIMARY KEY" in plan and "SCAN papers" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_follows_and_seen_marks_belong_to_one_user(engine):
    add_papers(engine, record(id="2402.00001"), record(id="2402.00002"))
    with engine.begin() as conn:
        ada = create_user(conn, "ada", "a long password")
        bob = create_user(conn, "bob", "a long password")
        first = follow_store.follow(conn, ada.id, "Grace Hopper", "grace hopper")
        assert follow_store.follow(conn, ada.id, "grace hopper", "grace hopper") == first
        follow_store.follow(conn, bob.id, "Alan Turing", "alan turing")
        new = seen_store.mark_seen(conn, ada.id, ["2402.00001", "2402.00001", "9999.99999"])
        assert new == ["2402.00001"]
        assert seen_store.mark_seen(conn, ada.id, ["2402.00001"]) == []
        seen_store.mark_seen(conn, bob.id, ["2402.00002"], "opened")
    with engine.begin() as conn:
        assert [f.name for f in follow_store.list_follows(conn, ada.id)] == ["Grace Hopper"]
        assert not follow_store.unfollow(conn, bob.id, "grace hopper")
        assert seen_store.seen_ids(conn, ada.id) == {"2402.00001"}
        assert seen_store.unmark_seen(conn, bob.id, ["2402.00001"]) == 0
        delete_user(conn, ada.id)
        assert conn.execute(select(func.count()).select_from(follows)).scalar_one() == 1
        assert conn.execute(select(seen.c.user_id)).scalars().all() == [bob.id]
