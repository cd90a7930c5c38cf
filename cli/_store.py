"""The app's store for papersift's commands: its engine and a transaction on it.

A helper, not a command module (app.py skips modules whose name starts with "_").
Commands run without the web layer, so this reads the engine app.py opened into
`app.extensions` directly instead of going through web/db.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from store import db as store_db


def engine() -> Engine:
    """The current app's engine (inside `with_appcontext`)."""
    return current_app.extensions["papersift.engine"]


@contextmanager
def transaction(eng: Engine | None = None) -> Iterator[Connection]:
    """A connection inside a transaction that commits on success (the app's engine by default)."""
    with store_db.transaction(eng or engine()) as conn:
        yield conn
