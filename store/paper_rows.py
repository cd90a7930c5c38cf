"""The rows kept in step with each paper (store/papers.py writes them with it): its
categories, with its dates for browse windows (store/category_window.py), and its authors'
folded last names, with its first-version date, for author look-ups (store/follows.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from domain.names import last_names
from domain.records import PaperRecord
from store.schema import paper_author_names


def category_rows(r: PaperRecord) -> list[dict]:
    """The paper_categories rows of one paper."""
    latest = r.updated if r.updated is not None else r.published
    return [{"paper_id": r.id, "category": c, "position": i, "published": r.published, "latest": latest}
            for i, c in enumerate(r.categories)]


def author_name_rows(pid: str, authors: Iterable[str], published: datetime) -> list[dict]:
    """The rows of one paper."""
    return [{"last_name": n, "published": published, "paper_id": pid} for n in last_names(authors)]


def drop_author_names(conn: Connection, pid: str, authors: Iterable[str], published: datetime) -> None:
    """A paper's rows of paper_author_names, found by their whole key (no index on paper_id)."""
    names = last_names(authors)
    if names:
        conn.execute(paper_author_names.delete().where(
            paper_author_names.c.last_name.in_(names), paper_author_names.c.published == published,
            paper_author_names.c.paper_id == pid))


def insert_author_names(conn: Connection, rows: list[dict]) -> None:
    """Add rows, leaving any already there: a row left by a name parsed differently before
    (it only widens a look-up, which resolves names against the papers' own author lists)
    must not fail the whole batch of papers."""
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(paper_author_names).on_conflict_do_nothing()
    else:
        statement = paper_author_names.insert().prefix_with("OR IGNORE", dialect="sqlite")
    conn.execute(statement, rows)
