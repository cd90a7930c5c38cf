"""list_papers picks a query plan from the filter's counts; every plan must list the same
papers in the same order as a plain sort of everything, with the right total."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from store import migrations
from store.papers import PaperFilter, list_papers
from store.schema import papers
from tests.factories import add_papers, record
from tests.helpers.stores import pretend_version

START = datetime(2024, 1, 1)


@pytest.fixture(scope="module")
def corpus():
    """300 papers: cs.LG on most, cs.CV on about a third, math.RA on three; a quarter revised."""
    rng = random.Random(7)
    records = []
    for i in range(300):
        cats = ["cs.LG"] if rng.random() < 0.9 else ["stat.ML"]
        if rng.random() < 0.3:
            cats.append("cs.CV")
        if i in (5, 150, 290):
            cats = ["math.RA"]
        published = START + timedelta(days=rng.randint(0, 120))
        revised = rng.random() < 0.25
        records.append(record(
            id=f"2401.{i + 1:05d}", categories=cats, published=published,
            version=2 if revised else 1,
            updated=published + timedelta(days=rng.randint(1, 60)) if revised else None))
    return records


@pytest.fixture
def listed(engine, corpus):
    add_papers(engine, *corpus)
    return engine


def expected(corpus, flt: PaperFilter) -> list[str]:
    def passes(r) -> bool:
        if flt.category and flt.category not in r.categories:
            return False
        if flt.since is not None:
            new = r.published >= flt.since
            if not (new or (flt.revisions and r.updated is not None and r.updated >= flt.since)):
                return False
        if flt.until is not None and r.published >= flt.until:
            return False
        return flt.revisions or r.version == 1

    def key(r):
        return ((r.updated or r.published) if flt.revisions else r.published, r.id)

    return [r.id for r in sorted(filter(passes, corpus), key=key, reverse=True)]


FILTERS = [
    PaperFilter(),
    PaperFilter(category="cs.LG"),                      # common: walked in date order
    PaperFilter(category="cs.CV"),
    PaperFilter(category="math.RA"),                    # rare: looked up and sorted
    PaperFilter(category="no.SUCH"),
    PaperFilter(since=START + timedelta(days=100)),
    PaperFilter(since=START + timedelta(days=100), revisions=False),
    PaperFilter(category="cs.CV", since=START + timedelta(days=90)),
    PaperFilter(category="math.RA", since=START + timedelta(days=30)),
    PaperFilter(category="cs.LG", since=START + timedelta(days=20), until=START + timedelta(days=80),
                revisions=False),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f).replace(" ", ""))
@pytest.mark.parametrize("offset", [0, 25, 275])
def test_every_plan_lists_the_same_papers_as_a_plain_sort(listed, corpus, flt, offset):
    want = expected(corpus, flt)
    with listed.connect() as conn:
        total, page = list_papers(conn, flt, limit=25, offset=offset)
    assert total == len(want)
    assert [p.id for p in page] == want[offset:offset + 25]


def test_ties_on_the_date_are_broken_by_id_newest_first(engine):
    day = datetime(2024, 3, 1)
    add_papers(engine, *(record(id=f"2403.{n:05d}", published=day) for n in (3, 1, 2)))
    with engine.connect() as conn:
        _, page = list_papers(conn, PaperFilter(category="cs.LG"))
    assert [p.id for p in page] == ["2403.00003", "2403.00002", "2403.00001"]


def test_a_store_from_version_1_gets_the_date_index(engine):
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_papers_recent"))
        pretend_version(conn, 1)
    assert migrations.upgrade(engine) == (1, migrations.LATEST)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # the newest page reads 25 rows of the index instead of sorting every paper
            query = ("EXPLAIN QUERY PLAN SELECT * FROM papers "
                     "ORDER BY coalesce(updated, published) DESC, id DESC LIMIT 25")
            plan = " ".join(row[-1] for row in conn.execute(text(query)))
            assert "ix_papers_recent" in plan and "TEMP B-TREE" not in plan
        else:
            names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'papers'"))
            assert "ix_papers_recent" in set(names.scalars())


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f).replace(" ", ""))
@pytest.mark.parametrize("offset", [0, 25, 275])
def test_a_capped_count_stops_past_the_cap_and_lists_the_same_pages(listed, corpus, flt, offset):
    want = expected(corpus, flt)
    with listed.connect() as conn:
        total, page = list_papers(conn, flt, limit=25, offset=offset, count_cap=40)
    assert total == min(len(want), 41)          # 41: "more than 40"
    assert [p.id for p in page] == want[offset:offset + 25]


def test_kept_counts_follow_new_papers(engine):
    from store.papers import category_counts

    add_papers(engine, record(id="2405.00001", categories=["cs.LG"]))
    with engine.connect() as conn:
        assert category_counts(conn) == {"cs.LG": 1}
        assert list_papers(conn)[0] == 1
    add_papers(engine, record(id="2405.00002", categories=["cs.LG", "cs.CV"]))
    with engine.connect() as conn:
        assert category_counts(conn) == {"cs.LG": 2, "cs.CV": 1}
        assert list_papers(conn)[0] == 2


def test_a_window_holds_papers_new_or_revised_in_it_even_with_an_odd_revision_date(engine):
    """The window is "first or latest version since": a paper whose revision date is before
    its first date (a bad record) still shows by its first date."""
    since = datetime(2024, 6, 1)
    add_papers(engine,
               record(id="2405.00001", published=datetime(2024, 5, 1)),                  # old
               record(id="2405.00002", published=datetime(2024, 5, 2), version=2,
                      updated=datetime(2024, 6, 5)),                                    # revised in it
               record(id="2406.00003", published=datetime(2024, 6, 3)),                  # new
               record(id="2406.00004", published=datetime(2024, 6, 9), version=2,
                      updated=datetime(2024, 5, 20)))                                   # odd dates
    with engine.connect() as conn:
        total, page = list_papers(conn, PaperFilter(category="cs.LG", since=since))
        capped, _ = list_papers(conn, PaperFilter(since=since), count_cap=1)
    assert total == 3
    assert {p.id for p in page} == {"2405.00002", "2406.00003", "2406.00004"}
    assert capped == 2                                                 # "more than 1"


def test_a_window_is_read_from_the_date_index_on_sqlite(tmp_path):
    """On SQLite (in both passes), a window's papers, checked for the category paper by paper,
    come from a range of ix_papers_recent, which stops with the page or the count's cap, rather
    than from two indexes merged (every paper of the window, each row read)."""
    sqlite = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    migrations.upgrade(sqlite)
    since = datetime(2024, 6, 1)
    with sqlite.connect() as conn:
        for flt in (PaperFilter(since=since), PaperFilter(category="cs.LG", since=since)):
            query = select(papers.c.id).where(flt.where(row_by_row=True, latest_first=True))
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_papers_recent" in plan, plan
    sqlite.dispose()
