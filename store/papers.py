"""Papers: upsert by version-less id, look up, list with browse filters, count."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from domain.ids import abs_url, pdf_url
from domain.names import folded_authors
from domain.records import PaperRecord
from store import change_stamp
from store.category_window import category_new_ids, category_window_ids
from store.code_links import code_links
from store.counts import capped_count, mark_changed, papers_per_category, store_stamp
from store.fulltext import decompress
from store.paper_filter import PaperFilter, latest_date
from store.paper_rows import author_name_rows, category_rows, drop_author_names, insert_author_names
from store.schema import fulltext, paper_categories, papers

BATCH = 500


@dataclass(frozen=True, slots=True)
class Paper:
    id: str
    version: int
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]
    published: datetime
    updated: datetime | None
    comment: str | None
    journal_ref: str | None
    doi: str | None
    first_seen: datetime
    modified: datetime

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else ""

    @property
    def abs_url(self) -> str:
        return abs_url(self.id, self.version)

    @property
    def pdf_url(self) -> str:
        return pdf_url(self.id, self.version)

    @property
    def is_revised(self) -> bool:
        return self.version > 1

    @property
    def code_links(self) -> list[str]:
        """Repository URLs (GitHub, GitLab, Hugging Face, Codeberg) in the abstract or comments."""
        return code_links((self.abstract, self.comment))

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "authors": list(self.authors),
            "abstract": self.abstract,
            "categories": list(self.categories),
            "published": self.published.isoformat(),
            "updated": self.updated.isoformat() if self.updated else None,
            "comment": self.comment,
            "journal_ref": self.journal_ref,
            "doi": self.doi,
            "abs_url": self.abs_url,
            "pdf_url": self.pdf_url,
            "code_links": self.code_links,
        }


def _paper(row) -> Paper:
    return Paper(
        id=row.id,
        version=row.version,
        title=row.title,
        authors=tuple(json.loads(row.authors)),
        abstract=row.abstract,
        categories=tuple(json.loads(row.categories)),
        published=row.published,
        updated=row.updated,
        comment=row.comment,
        journal_ref=row.journal_ref,
        doi=row.doi,
        first_seen=row.first_seen,
        modified=row.modified,
    )


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0                                   # an older version than stored: ignored
    new_versions: list[str] = field(default_factory=list)

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older
        self.new_versions.extend(other.new_versions)


def _values(r: PaperRecord) -> dict:
    return {
        "version": r.version,
        "title": r.title,
        "authors": json.dumps(list(r.authors), ensure_ascii=False),
        "authors_folded": folded_authors(r.authors),
        "abstract": r.abstract,
        "categories": json.dumps(list(r.categories)),
        "primary_category": r.primary_category,
        "published": r.published,
        "updated": r.updated,
        "comment": r.comment,
        "journal_ref": r.journal_ref,
        "doi": r.doi,
    }


def _latest_per_id(records: Iterable[PaperRecord]) -> dict[str, PaperRecord]:
    """Within one batch a paper may appear twice (e.g. across API pages): keep the newest."""
    best: dict[str, PaperRecord] = {}
    for r in records:
        cur = best.get(r.id)
        if cur is None or r.version >= cur.version:
            best[r.id] = r
    return best


def upsert_papers(conn: Connection, records: Iterable[PaperRecord], now: datetime | None = None
                  ) -> UpsertCounts:
    """Insert new papers and update changed ones; an older version never overwrites a newer one.

    A paper whose version increased gets its full text marked stale. The caller owns the
    transaction, so a batch is stored whole or not at all.
    """
    now = now or change_stamp()
    counts = UpsertCounts()
    batch: list[PaperRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= BATCH:
            counts.add(_upsert_batch(conn, batch, now))
            batch = []
    if batch:
        counts.add(_upsert_batch(conn, batch, now))
    return counts


def _upsert_batch(conn: Connection, batch: Sequence[PaperRecord], now: datetime) -> UpsertCounts:
    counts = UpsertCounts()
    wanted = _latest_per_id(batch)
    cols = [papers.c[name] for name in ("id", *_values(batch[0]).keys())]
    existing = {row.id: row for row in conn.execute(select(*cols).where(papers.c.id.in_(wanted)))}
    inserts, cat_rows, name_rows = [], [], []
    for pid, record in wanted.items():
        values = _values(record)
        row = existing.get(pid)
        if row is None:
            inserts.append({"id": pid, **values, "first_seen": now, "modified": now})
            cat_rows.extend(category_rows(record))
            name_rows.extend(author_name_rows(pid, record.authors, record.published))
            counts.new += 1
        elif record.version < row.version:
            counts.older += 1
        elif all(getattr(row, k) == v for k, v in values.items()):
            counts.unchanged += 1
        else:
            conn.execute(papers.update().where(papers.c.id == pid).values(**values, modified=now))
            conn.execute(paper_categories.delete().where(paper_categories.c.paper_id == pid))
            cat_rows.extend(category_rows(record))
            if (row.authors, row.published) != (values["authors"], record.published):
                drop_author_names(conn, pid, json.loads(row.authors), row.published)
                name_rows.extend(author_name_rows(pid, record.authors, record.published))
            counts.updated += 1
            if record.version > row.version:
                counts.new_versions.append(pid)
    if inserts:
        conn.execute(papers.insert(), inserts)
    if cat_rows:
        conn.execute(paper_categories.insert(), cat_rows)
    if name_rows:
        insert_author_names(conn, name_rows)
    if inserts or counts.updated:
        mark_changed(conn)
    if counts.new_versions:
        conn.execute(
            fulltext.update()
            .where(fulltext.c.paper_id.in_(counts.new_versions))
            .values(status="stale", updated=now)
        )
    return counts


def get_paper(conn: Connection, paper_id: str) -> Paper | None:
    row = conn.execute(select(papers).where(papers.c.id == paper_id)).first()
    return _paper(row) if row else None


def get_papers(conn: Connection, ids: Sequence[str]) -> list[Paper]:
    """Papers for ids, in the order given; unknown ids are left out."""
    found: dict[str, Paper] = {}
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start:start + BATCH])
        for row in conn.execute(select(papers).where(papers.c.id.in_(chunk))):
            found[row.id] = _paper(row)
    return [found[i] for i in ids if i in found]


WINDOWS: dict[str, timedelta | None] = {
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=31),
    "year": timedelta(days=365),
    "all": None,
}


def newest_date(conn: Connection) -> datetime | None:
    """The newest first-version or revision date in the store: the end of time windows."""
    # one aggregate per query: SQLite answers a lone max() from the column's index
    a = conn.execute(select(func.max(papers.c.published))).scalar()
    b = conn.execute(select(func.max(papers.c.updated))).scalar()
    return max((d for d in (a, b) if d is not None), default=None)


def window_start(conn: Connection, window: str) -> datetime | None:
    """Start of a browse window, counted back from the newest paper in the store.

    Counting from the newest paper rather than the wall clock keeps an instance that has
    not fetched for a while (or runs offline on the sample corpus) useful; on a fresh
    instance the two are the same day.
    """
    span = WINDOWS.get(window)
    end = newest_date(conn)
    if span is None or end is None:
        return None
    return end - span


ROW_BY_ROW_SHARE = 20     # walk in date order when >= 1 candidate in 20 is in the category


def _sort_key(flt: PaperFilter):
    if flt.revisions:
        return latest_date
    return papers.c.published


def list_papers(conn: Connection, flt: PaperFilter = PaperFilter(), *, limit: int = 25,
                offset: int = 0, count_cap: int | None = None) -> tuple[int, list[Paper]]:
    """(total matching, one page of papers newest first).

    With `count_cap`, counting stops past it: a total of count_cap + 1 means "more than
    count_cap" (store/counts.py), so a page costs the same at any corpus size.
    The category and the other conditions are each counted first (the category from the
    kept per-category figures); those counts choose how to run the costly parts: the total
    is counted from the smaller side, and a category holding a good share of the
    candidates is checked paper by paper while walking ix_papers_recent, which stops after
    one page, while a rare one is looked up by category and sorted. A category within a
    window (revisions included, the browse page's default), and a category's new papers
    (revisions=False: feeds, "new only"), are each one index range instead
    (store/category_window.py).
    """
    if flt.category and flt.since is not None and flt.revisions and flt.until is None and not flt.has_code:
        total, ids = category_window_ids(conn, flt.category, flt.since, limit=limit, offset=offset,
                                         count_cap=count_cap)
        return total, get_papers(conn, ids)
    if flt.category and not flt.revisions and not flt.has_code:
        total, ids = category_new_ids(conn, flt.category, since=flt.since, until=flt.until,
                                      limit=limit, offset=offset, count_cap=count_cap)
        return total, get_papers(conn, ids)
    return list_papers_by_counts(conn, flt, limit=limit, offset=offset, count_cap=count_cap)


def list_papers_by_counts(conn: Connection, flt: PaperFilter, *, limit: int, offset: int,
                          count_cap: int | None) -> tuple[int, list[Paper]]:
    """list_papers over `papers`, its plan chosen from the counts (see list_papers); any
    filter, and how a category within a window was listed before migration 0007 (the bench
    compares the two)."""
    latest_first = conn.dialect.name == "sqlite"      # see PaperFilter.where
    rest = replace(flt, category=None).where(latest_first=latest_first)
    n_rest = capped_count(conn, rest, count_cap)
    if not flt.category:
        total = n_rest
    else:
        n_category = papers_per_category(conn).get(flt.category, 0)
        if count_cap is not None:
            n_category = min(n_category, count_cap + 1)
        total = n_category if rest is None else capped_count(
            conn, flt.where(row_by_row=n_rest <= n_category, latest_first=latest_first), count_cap)
    more = count_cap is not None and total > count_cap
    if total == 0 or (offset >= total and not more):
        return total, []
    row_by_row = bool(flt.category) and total * ROW_BY_ROW_SHARE >= n_rest
    query = select(papers).order_by(_sort_key(flt).desc(), papers.c.id.desc())
    where = flt.where(row_by_row=row_by_row, latest_first=latest_first)
    if where is not None:
        query = query.where(where)
    rows = conn.execute(query.limit(limit).offset(offset))
    return total, [_paper(r) for r in rows]


def filter_ids(conn: Connection, flt: PaperFilter) -> set[str]:
    """Ids of all papers that pass a filter (used to restrict rankings)."""
    query = select(papers.c.id)
    where = flt.where()
    if where is not None:
        query = query.where(where)
    return set(conn.execute(query).scalars())


def count_papers(conn: Connection) -> int:
    """Papers in the store, counted now (pages use store.counts' kept figure)."""
    return conn.execute(select(func.count()).select_from(papers)).scalar_one()


def category_counts(conn: Connection) -> dict[str, int]:
    """Papers per category (any position), most first."""
    return papers_per_category(conn)


def date_range(conn: Connection) -> tuple[datetime | None, datetime | None]:
    lo, hi = conn.execute(select(func.min(papers.c.published), func.max(papers.c.published))).one()
    return lo, hi


# the analyser the index is built with (recommend.text.ANALYZER, which the store below it
# cannot import; a test keeps the two equal): a new one makes every existing index stale
INDEX_ANALYZER = "snowball-english-3"


def fingerprint(conn: Connection) -> str:
    """Changes whenever papers or full texts change: an index of the same fingerprint is current."""
    # a subquery per figure, in one snapshot: count() and max() in one select read every
    # row, where alone each reads an index's entries (the count) or one end of it
    ok = fulltext.c.status == "ok"
    n, last, fn, flast = conn.execute(select(
        select(func.count()).select_from(papers).scalar_subquery(),
        select(func.max(papers.c.modified)).scalar_subquery(),
        select(func.count()).select_from(fulltext).where(ok).scalar_subquery(),
        select(func.max(fulltext.c.updated)).where(ok).scalar_subquery())).one()
    return f"papers={n}@{last}|fulltext={fn}@{flast}"


def change_mark(conn: Connection) -> str:
    """Changes with every write of papers or full texts, and costs the same at any size (a row
    of meta and one end of an index): the key of cached public pages, which `fingerprint`'s
    counts would make slower the larger the store."""
    flast = conn.execute(select(func.max(fulltext.c.updated))).scalar_one()
    return f"papers={store_stamp(conn)}|fulltext={flast}"


def index_fingerprint(conn: Connection, settings) -> str:
    """The store's state, the index settings and the analyser: a change in any calls for a
    rebuild (in full for settings or analyser: ingest/index_plan.py)."""
    return (f"{fingerprint(conn)}|max_features={settings.index_max_features}|sample_docs="
            f"{settings.index_sample_docs}|lsa_dim={settings.search_lsa_dim}|analyzer={INDEX_ANALYZER}")


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """What the index needs of one paper."""
    id: str
    published: datetime
    categories: tuple[str, ...]
    title: str
    authors: tuple[str, ...]
    abstract: str
    fulltext: str | None


def iter_index_docs(conn: Connection, *, with_fulltext: bool = True) -> Iterator[IndexDoc]:
    """Every paper, oldest first, with its extracted full text when there is one."""
    cols = [papers.c.id, papers.c.published, papers.c.categories, papers.c.title,
            papers.c.authors, papers.c.abstract]
    query = select(*cols, *([fulltext.c.text] if with_fulltext else []))
    if with_fulltext:
        query = query.select_from(papers.outerjoin(
            fulltext, and_(fulltext.c.paper_id == papers.c.id, fulltext.c.status == "ok")))
    query = query.order_by(papers.c.published, papers.c.id)
    for row in conn.execution_options(yield_per=2000).execute(query):
        text = decompress(row.text) if with_fulltext and row.text is not None else None
        yield IndexDoc(row.id, row.published, tuple(json.loads(row.categories)), row.title,
                       tuple(json.loads(row.authors)), row.abstract, text)
