"""Browse of a category within a window reads paper_categories' copies of the papers' dates:
the writers keep them in step, and the pages are those of a plain sort of every paper."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import create_engine, select, text

from store import migrations
from store.papers import PaperFilter, list_papers, upsert_papers
from store.schema import paper_categories, papers
from tests.factories import add_papers, record

START = datetime(2024, 1, 1)


def _copies(conn) -> dict[tuple[str, str], tuple[datetime, datetime]]:
    rows = conn.execute(select(paper_categories.c.paper_id, paper_categories.c.category,
                               paper_categories.c.published, paper_categories.c.latest))
    return {(r.paper_id, r.category): (r.published, r.latest) for r in rows}


def _paper_dates(conn) -> dict[tuple[str, str], tuple[datetime, datetime]]:
    """What the copies must say: each paper's first date and latest date, per category."""
    import json

    found = {}
    for row in conn.execute(select(papers.c.id, papers.c.categories, papers.c.published, papers.c.updated)):
        for cat in json.loads(row.categories):
            found[(row.id, cat)] = (row.published, row.updated or row.published)
    return found


def test_a_new_version_moves_its_categories_and_dates_together(engine):
    add_papers(engine, record(id="2402.00001", categories=["cs.LG", "cs.CV"], published=START),
               record(id="2402.00002", categories=["cs.LG"], published=START + timedelta(days=40)))
    revised = record(id="2402.00001", categories=["cs.LG", "stat.ML"], version=2, published=START,
                     updated=START + timedelta(days=50))
    with engine.begin() as conn:
        assert upsert_papers(conn, [revised]).updated == 1
    with engine.connect() as conn:
        copies = _copies(conn)
        assert copies == _paper_dates(conn)
        assert copies[("2402.00001", "stat.ML")] == (START, START + timedelta(days=50))
        assert ("2402.00001", "cs.CV") not in copies
        since = START + timedelta(days=30)
        total, page = list_papers(conn, PaperFilter(category="cs.LG", since=since))
        assert total == 2 and [p.id for p in page] == ["2402.00001", "2402.00002"]  # revised: newest
        assert list_papers(conn, PaperFilter(category="cs.CV", since=since))[0] == 0
        stat = list_papers(conn, PaperFilter(category="stat.ML", since=since))[1]
        assert [p.id for p in stat] == ["2402.00001"]
    with engine.begin() as conn:                         # an older version changes nothing
        older = record(id="2402.00001", categories=["cs.CV"], published=START)
        assert upsert_papers(conn, [older]).older == 1
    with engine.connect() as conn:
        assert _copies(conn) == _paper_dates(conn)


def test_misdated_papers_take_their_place_on_every_page(engine):
    """Papers whose latest date is before their first sit outside the index range: they are
    merged in by their latest date (the order of every other browse), page after page."""
    records = []
    for i in range(60):
        published = START + timedelta(days=i)
        misdated = i % 7 == 0
        records.append(record(id=f"2401.{i + 1:05d}", published=published, version=2 if i % 3 else 1,
                              updated=(published - timedelta(days=20) if misdated
                                       else published + timedelta(days=i % 5) if i % 3 else None)))
    add_papers(engine, *records)
    since = START + timedelta(days=10)

    def key(r):
        return (r.updated or r.published, r.id)

    want = [r.id for r in sorted(records, key=key, reverse=True)
            if r.published >= since or (r.updated is not None and r.updated >= since)]
    assert len(want) == 51                  # 50 new in the window, one revised into it
    with engine.connect() as conn:
        for offset in (0, 20, 40, 60):       # the misdated (every 7th) are spread over the pages
            total, page = list_papers(conn, PaperFilter(category="cs.LG", since=since),
                                      limit=20, offset=offset)
            assert total == 51 and [p.id for p in page] == want[offset:offset + 20]
        capped, first = list_papers(conn, PaperFilter(category="cs.LG", since=since), limit=20, count_cap=30)
        assert capped == 31 and [p.id for p in first] == want[:20]


def test_a_category_window_is_one_range_of_the_category_index_on_sqlite(tmp_path):
    """The page reads its rows from ix_paper_categories_recent in order (no sort of the window),
    and the misdated papers come from their partial index."""
    sqlite = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    migrations.upgrade(sqlite)
    with sqlite.connect() as conn:
        def plan(sql: str) -> str:
            return " ".join(row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))

        page = plan("SELECT paper_id FROM paper_categories WHERE category = 'cs.LG' AND latest >= "
                    "'2024-06-01' ORDER BY latest DESC, paper_id DESC LIMIT 25")
        assert "ix_paper_categories_recent" in page and "TEMP B-TREE" not in page
        odd = plan("SELECT latest, paper_id FROM paper_categories WHERE category = 'cs.LG' AND "
                   "latest < published AND published >= '2024-06-01'")
        assert "ix_paper_categories_misdated" in odd
    sqlite.dispose()


def _varied_store(engine) -> None:
    """80 papers over 80 days: some revised (version 2, some revised before they were first
    published: malformed), in one to three of four categories, a few sharing a date."""
    cats = ["cs.LG", "cs.CV", "stat.ML", "q-bio.NC"]
    records = []
    for i in range(80):
        published = START + timedelta(days=i - i % 9 // 8)          # every 9th shares a date
        revised = i % 3 == 0
        records.append(record(
            id=f"2401.{i + 1:05d}", published=published, version=2 if revised else 1,
            updated=(published + timedelta(days=(-3 if i % 15 == 0 else 4))) if revised else None,
            categories=cats[i % 4:i % 4 + 1 + i % 3] or cats[:1]))
    add_papers(engine, *records)


def test_new_papers_of_a_category_are_those_of_the_plain_filter(engine):
    """Feeds' and "new only"'s range of ix_paper_categories_new lists the same papers, in the
    same order and with the same totals, as the plan over `papers`, for any window and page."""
    from store.papers import list_papers_by_counts

    _varied_store(engine)
    windows = [(None, None), (START + timedelta(days=30), None), (None, START + timedelta(days=50)),
               (START + timedelta(days=10), START + timedelta(days=60))]
    with engine.connect() as conn:
        for cat in ("cs.LG", "cs.CV", "stat.ML", "q-bio.NC", "math.AG"):
            for since, until in windows:
                flt = PaperFilter(category=cat, since=since, until=until, revisions=False)
                for offset, cap in ((0, None), (10, None), (0, 5), (30, None)):
                    got = list_papers(conn, flt, limit=10, offset=offset, count_cap=cap)
                    want = list_papers_by_counts(conn, flt, limit=10, offset=offset, count_cap=cap)
                    assert (got[0], [p.id for p in got[1]]) == (want[0], [p.id for p in want[1]])
        total, page = list_papers(conn, PaperFilter(category="cs.LG", revisions=False), limit=100)
    assert total > 10 and all(p.version == 1 for p in page)
    assert [p.published for p in page] == sorted((p.published for p in page), reverse=True)


def test_new_papers_of_a_category_are_one_range_of_their_index_on_sqlite(tmp_path):
    """The page is read from ix_paper_categories_new in order: no sort of the category."""
    sqlite = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    migrations.upgrade(sqlite)
    with sqlite.connect() as conn:
        plan = " ".join(row[-1] for row in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT pc.paper_id FROM paper_categories pc JOIN papers p ON "
            "p.id = pc.paper_id WHERE pc.category = 'cs.LG' AND p.version = 1 ORDER BY "
            "pc.published DESC, pc.paper_id DESC LIMIT 25")))
    sqlite.dispose()
    assert "ix_paper_categories_new" in plan and "TEMP B-TREE" not in plan
