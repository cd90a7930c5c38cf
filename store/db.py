"""Engine creation, schema set-up and the per-request connection (flaskr's db.py, for Core)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from config import Settings, ensure_data_dir
from store import migrations

log = logging.getLogger("papersift.store")


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


def engine() -> Engine:
    return current_app.extensions["papersift.engine"]


def get_db() -> Connection:
    """The request's connection, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = engine().connect()
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@contextmanager
def transaction(eng: Engine | None = None) -> Iterator[Connection]:
    """A connection inside a transaction that commits on success (CLI and jobs)."""
    with (eng or engine()).begin() as conn:
        yield conn


def init_app(app: Flask) -> None:
    """Open (and migrate) the store. An unreachable or too-new store is logged, not raised,
    so `papersift doctor` and `/readyz` can still run and say what is wrong."""
    settings: Settings = app.config["SETTINGS"]
    app.extensions["papersift.engine"] = engine = make_engine(settings)
    try:
        before, after = app.extensions["papersift.migrated"] = migrations.upgrade(engine)
    except (OperationalError, migrations.SchemaTooNew) as exc:
        log.error("store not ready (%s); run `papersift doctor`", str(exc).splitlines()[0])
    else:
        if before != after:
            log.info("migrated the schema from version %d to %d", before, after)
    app.teardown_appcontext(close_db)
