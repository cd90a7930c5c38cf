"""Versioned schema migrations: a small, tested alternative to Alembic.

Each step is a function `(conn) -> None` in STEPS; the store's version lives in the
`meta` table under `schema_version`. `upgrade` applies the missing steps in order,
each in its own transaction, so an interrupted upgrade resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import Connection

from store import schema


def _initial(conn: Connection) -> None:
    schema.metadata.create_all(conn)


STEPS: list[Callable[[Connection], None]] = [_initial]
LATEST = len(STEPS)


def current_version(conn: Connection) -> int:
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


def upgrade(engine: Engine) -> tuple[int, int]:
    """Bring the schema to LATEST; returns (version before, version after)."""
    with engine.begin() as conn:
        before = current_version(conn)
    if before > LATEST:
        raise RuntimeError(
            f"the database schema is version {before}, newer than this papersift ({LATEST}); "
            "upgrade papersift"
        )
    for version in range(before + 1, LATEST + 1):
        with engine.begin() as conn:
            STEPS[version - 1](conn)
            _set_version(conn, version)
    return before, LATEST
