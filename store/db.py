"""Engine creation and schema set-up; no Flask here (web/db.py holds the request's connection)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

from config import Settings, ensure_data_dir
from store import migrations


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured store; SQLite gets WAL, foreign keys and a busy timeout."""
    url = settings.db_url
    if url.startswith("sqlite"):
        ensure_data_dir(settings)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def open_store(settings: Settings) -> Engine:
    """An engine whose schema is migrated to the current version."""
    engine = make_engine(settings)
    migrations.upgrade(engine)
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that commits on success (CLI and jobs)."""
    with engine.begin() as conn:
        yield conn
