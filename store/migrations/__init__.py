"""Versioned schema migrations: a small, tested alternative to Alembic.

Each step is a function `(conn) -> None` in STEPS; the store's version lives in the
`meta` table under `schema_version`. `upgrade` applies the missing steps in order,
each in its own transaction, so an interrupted upgrade resumes where it stopped.

To change the schema: edit `store/schema.py` (what a fresh store gets through the
first step's create_all) and append a step that brings an existing store to the same
shape, e.g. ``lambda conn: conn.execute(text("ALTER TABLE papers ADD COLUMN x TEXT"))``.
Steps must be idempotent on a fresh store (where create_all already made the change):
check with ``inspect(conn)`` before altering. Never edit or reorder a released step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from store import schema
from store.migrations.follows_seen import add_folded_authors, add_follows_and_seen

Step = Callable[[Connection], None]


class SchemaTooNew(RuntimeError):
    """The store was migrated by a newer papersift than this one."""


def _initial(conn: Connection) -> None:
    schema.metadata.create_all(conn)


def _recent_index(conn: Connection) -> None:
    # IF NOT EXISTS, since reflection does not see expression indexes (checkfirst would miss it)
    conn.execute(CreateIndex(schema.ix_papers_recent, if_not_exists=True))


def _sessions_and_email_confirmation(conn: Connection) -> None:
    """Server-side sessions (revocable logins) and confirmed digest addresses."""
    schema.user_sessions.create(conn, checkfirst=True)
    if "email_confirmed" not in {c["name"] for c in inspect(conn).get_columns("users")}:
        conn.execute(text("ALTER TABLE users ADD COLUMN email_confirmed TIMESTAMP"))


STEPS: list[Step] = [_initial, _recent_index, _sessions_and_email_confirmation, add_follows_and_seen,
                     add_folded_authors]
LATEST = len(STEPS)


def current_version(conn: Connection) -> int:
    """The store's schema version; 0 for an empty database."""
    if not inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).scalar()
    return int(value) if value else 0


def _set_version(conn: Connection, version: int) -> None:
    table = schema.meta
    if conn.execute(select(table.c.key).where(table.c.key == "schema_version")).first():
        conn.execute(table.update().where(table.c.key == "schema_version").values(value=str(version)))
    else:
        conn.execute(table.insert().values(key="schema_version", value=str(version)))


def _begin_ddl(conn: Connection) -> None:
    """Make a step's DDL transactional on SQLite too.

    Python's sqlite3 opens a transaction lazily, before the first INSERT/UPDATE, so a
    CREATE or ALTER before it would commit on its own and a failed step would leave half
    its changes behind. An explicit BEGIN makes the whole step roll back together
    (PostgreSQL's DDL is transactional already).
    """
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN")


def pending(engine: Engine, steps: Sequence[Step] | None = None) -> list[int]:
    """Version numbers of the steps `upgrade` would apply (empty when up to date)."""
    steps = STEPS if steps is None else steps
    with engine.connect() as conn:
        before = current_version(conn)
    return list(range(before + 1, len(steps) + 1))


def upgrade(engine: Engine, steps: Sequence[Step] | None = None) -> tuple[int, int]:
    """Bring the schema to the latest version; returns (version before, version after).

    Raises SchemaTooNew when the store is newer than this code knows, rather than
    running old code against a schema it does not understand.
    """
    steps = STEPS if steps is None else steps
    latest = len(steps)
    with engine.begin() as conn:
        before = current_version(conn)
    if before > latest:
        raise SchemaTooNew(
            f"the database schema is version {before}, newer than this papersift ({latest}); "
            "upgrade papersift"
        )
    for version in range(before + 1, latest + 1):
        with engine.begin() as conn:
            _begin_ddl(conn)
            steps[version - 1](conn)
            _set_version(conn, version)
    return before, latest
