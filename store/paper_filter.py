"""Which papers a browse page lists: the filter of category, dates, revisions and code links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select

from store.code_links import CODE_HOSTS
from store.schema import paper_categories, papers

# a paper's latest version's date: browse's sort key, the expression of ix_papers_recent
latest_date = func.coalesce(papers.c.updated, papers.c.published)


@dataclass(frozen=True)
class PaperFilter:
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    revisions: bool = True        # include papers revised in the window, not only new ones
    has_code: bool = False        # only papers naming a code repository (store/code_links.py)

    def where(self, *, row_by_row: bool = False, latest_first: bool = False):
        """The filter as a WHERE clause (None for no filter).

        `row_by_row` checks the category per paper (a correlated EXISTS) instead of
        collecting the category's ids first: faster when walking papers in date order and
        most of them match, since the walk stops after one page. `latest_first` states the
        window through the latest version's date (same papers; see below).
        """
        clauses = []
        if self.category and row_by_row:
            clauses.append(exists().where(paper_categories.c.paper_id == papers.c.id,
                                          paper_categories.c.category == self.category))
        elif self.category:
            clauses.append(papers.c.id.in_(
                select(paper_categories.c.paper_id).where(paper_categories.c.category == self.category)
            ))
        if self.since is not None:
            new = papers.c.published >= self.since
            if not self.revisions:
                clauses.append(new)
            elif latest_first:
                # the same papers, as a range of ix_papers_recent (the latest version's date)
                # that SQLite stops with the page or the count's cap, where for the OR below
                # it merges two date indexes over the whole window and reads every row.
                # PostgreSQL answers the OR below with a bitmap of both indexes, and this
                # form with a scan of the table: list_papers picks per database
                clauses.append(or_(latest_date >= self.since, new))
            else:
                clauses.append(or_(new, papers.c.updated >= self.since))
        if self.until is not None:
            clauses.append(papers.c.published < self.until)
        if not self.revisions:
            clauses.append(papers.c.version == 1)
        if self.has_code:
            clauses.append(or_(*[col.ilike(f"%{host}%") for host in CODE_HOSTS
                                 for col in (papers.c.abstract, papers.c.comment)]))
        return and_(*clauses) if clauses else None
