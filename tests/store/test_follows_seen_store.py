"""The follows and seen tables on both databases: per-user rows, idempotent writes,
case-insensitive author look-ups, and rows leaving with their account."""

from datetime import datetime

from sqlalchemy import func, select

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
        assert [p.id for p in follow_store.papers_naming(conn, ["100%_"])] == ["2402.00003"]   # escaped
        assert follow_store.papers_naming(conn, ["L_velace"]) == []          # _ is no wildcard


def test_author_lookup_folds_accents_both_ways(engine):
    add_papers(engine, record(id="2402.00001", authors=["Jörg Müller"], published=datetime(2024, 2, 1)),
               record(id="2402.00002", authors=["Jorg Muller"], published=datetime(2024, 2, 3)),
               record(id="2402.00003", authors=["Ada Lovelace"], published=datetime(2024, 2, 2)))
    with engine.connect() as conn:
        for typed in ("Jörg Müller", "Jorg Muller", "J. MULLER", "müller"):
            wanted = needles(parse_name(typed), typed)
            found = [p.id for p in follow_store.papers_naming(conn, wanted)]
            assert found == ["2402.00002", "2402.00001"], typed


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
