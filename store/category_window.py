"""One category within a browse window, newest first: a range of ix_paper_categories_recent;
and a category's new papers (never revised), newest first: a range of ix_paper_categories_new.

paper_categories carries each paper's first-version date and latest version's date (copied by
store/papers.py, migration 0007), so "cs.LG since a date" is read from one index range in the
page's order: the page reads its rows and stops, and the count stops at its cap, whatever the
window's size. The same papers, in the same order, as PaperFilter's query over `papers`: a
paper is in a window when its first or its latest version is, and is sorted by its latest
version's date, then id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from store.schema import paper_categories as cats
from store.schema import papers


def category_window_ids(conn: Connection, category: str, since: datetime, *, limit: int,
                        offset: int = 0, count_cap: int | None = None) -> tuple[int, list[str]]:
    """(papers listing `category` first or last revised since `since`, one page of their ids
    newest first). With `count_cap` the total stops at count_cap + 1 ("more than")."""
    in_range = and_(cats.c.category == category, cats.c.latest >= since)
    # a latest date before the first (malformed dates) leaves a paper of the window out of the
    # range: the partial index ix_paper_categories_misdated finds them (normally none)
    # (those with a latest date in the window are in the range already: dropped here rather than
    # in SQL, where a condition on `latest` could steer PostgreSQL away from the partial index)
    misdated = [row for row in conn.execute(select(cats.c.latest, cats.c.paper_id).where(
        cats.c.category == category, cats.c.latest < cats.c.published, cats.c.published >= since))
        if row.latest < since]
    ranged = select(cats.c.paper_id).where(in_range)
    if count_cap is not None:
        ranged = ranged.limit(count_cap + 1)
    total = conn.execute(select(func.count()).select_from(ranged.subquery())).scalar_one() + len(misdated)
    if count_cap is not None:
        total = min(total, count_cap + 1)
    more = count_cap is not None and total > count_cap
    if total == 0 or (offset >= total and not more):
        return total, []
    newest_first = (cats.c.latest.desc(), cats.c.paper_id.desc())
    if not misdated:
        page = select(cats.c.paper_id).where(in_range).order_by(*newest_first).limit(limit).offset(offset)
        return total, list(conn.execute(page).scalars())
    head = conn.execute(select(cats.c.latest, cats.c.paper_id).where(in_range)
                        .order_by(*newest_first).limit(offset + limit)).all()
    merged = sorted([*head, *misdated], reverse=True)[offset:offset + limit]
    return total, [paper_id for _, paper_id in merged]


def category_new_ids(conn: Connection, category: str, *, since: datetime | None = None,
                     until: datetime | None = None, limit: int, offset: int = 0,
                     count_cap: int | None = None) -> tuple[int, list[str]]:
    """(papers listing `category` that were never revised, first published in [since, until),
    one page of their ids newest first): PaperFilter(category, since, until, revisions=False)'s
    papers and order, read from the category's range in order. With `count_cap` the total
    stops at count_cap + 1 ("more than")."""
    ranged = select(cats.c.paper_id).join(papers, papers.c.id == cats.c.paper_id).where(
        cats.c.category == category, papers.c.version == 1,
        *([cats.c.published >= since] if since is not None else []),
        *([cats.c.published < until] if until is not None else []))
    counted = ranged.limit(count_cap + 1) if count_cap is not None else ranged
    total = conn.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    more = count_cap is not None and total > count_cap
    if total == 0 or (offset >= total and not more):
        return total, []
    page = ranged.order_by(cats.c.published.desc(), cats.c.paper_id.desc()).limit(limit).offset(offset)
    return total, list(conn.execute(page).scalars())
