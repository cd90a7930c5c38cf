"""Migration step: the `follows` and `seen` tables (issue 20: follow authors, seen marks).

Self-contained so its place in STEPS can change when branches merge: it only creates the
two tables when missing, which is also a no-op on a fresh store (the first step's
create_all already made them).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from store import schema


def add_follows_and_seen(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.follows, schema.seen], checkfirst=True)
