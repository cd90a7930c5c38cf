"""Migration steps of following authors: the `follows` and `seen` tables, and folded author names.

Self-contained so its place in STEPS can change when branches merge: it only creates the
two tables when missing, which is also a no-op on a fresh store (the first step's
create_all already made them).
"""

from __future__ import annotations

import json

from sqlalchemy import bindparam, inspect, select, text, update
from sqlalchemy.engine import Connection

from domain.names import folded_authors
from store import schema


def add_follows_and_seen(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.follows, schema.seen], checkfirst=True)


def add_folded_authors(conn: Connection) -> None:
    """papers.authors_folded (names without accents or case, for author look-ups), filled in
    for the papers already stored."""
    if "authors_folded" not in {c["name"] for c in inspect(conn).get_columns("papers")}:
        conn.execute(text("ALTER TABLE papers ADD COLUMN authors_folded TEXT"))
    todo = select(schema.papers.c.id, schema.papers.c.authors).where(schema.papers.c.authors_folded.is_(None))
    while batch := conn.execute(todo.limit(5000)).all():
        conn.execute(update(schema.papers).where(schema.papers.c.id == bindparam("pid"))
                     .values(authors_folded=bindparam("folded")),
                     [{"pid": pid, "folded": folded_authors(json.loads(authors))} for pid, authors in batch])
