"""The app's engine and the request's connection, for views (flaskr's db.py, for Core).

app.py opens the engine into `app.extensions["papersift.engine"]` and closes the
request's connection (`g.db`) at teardown; papersift's commands use cli/_store.py and
the MCP adapter its own per-call connection, both reading the same engine without
loading the web layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from store import db as store_db


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["papersift.engine"]


def get_db() -> Connection:
    """The request's connection, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = engine().connect()
    return g.db


@contextmanager
def transaction(eng: Engine | None = None) -> Iterator[Connection]:
    """A connection inside a transaction that commits on success (the app's engine by default)."""
    with store_db.transaction(eng or engine()) as conn:
        yield conn
