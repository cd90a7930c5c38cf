"""Runs of pipeline stages (import, fetch, harvest, fulltext, index): what ran, how it ended.

A run is written when it starts (status "running") and finished with its counts, so a
crashed stage leaves a visible "running" row and `status` can show what failed and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from store import utcnow
from store.schema import runs

STATUSES = ("running", "ok", "failed", "interrupted")


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    kind: str
    started: datetime
    ended: datetime | None
    status: str
    requests: int
    new: int
    updated: int
    errors: int
    message: str | None
    params: dict[str, Any]
    cursor: Any


def record_run_start(conn: Connection, kind: str, params: dict[str, Any] | None = None) -> int:
    """Insert a run in status "running" and return its id."""
    result = conn.execute(runs.insert().values(
        kind=kind, started=utcnow(), status="running",
        requests=0, new=0, updated=0, errors=0,
        params=json.dumps(params or {}, default=str),
    ))
    return int(result.inserted_primary_key[0])


def finish_run(
    conn: Connection,
    run_id: int,
    status: str,
    *,
    requests: int = 0,
    new: int = 0,
    updated: int = 0,
    errors: int = 0,
    message: str | None = None,
    cursor: Any = None,
) -> None:
    """Record how a run ended: its status, counts, a message for people and resume state."""
    if status not in STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    values: dict[str, Any] = dict(ended=utcnow(), status=status, requests=requests, new=new,
                                  updated=updated, errors=errors, message=message)
    if cursor is not None:
        values["cursor"] = json.dumps(cursor, default=str)
    conn.execute(runs.update().where(runs.c.id == run_id).values(**values))


def get_run(conn: Connection, run_id: int) -> Run | None:
    row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
    return _run(row) if row else None


def latest_runs(conn: Connection, kind: str | None = None, limit: int = 10) -> list[Run]:
    """The most recent runs, newest first, optionally of one kind."""
    query = select(runs).order_by(runs.c.started.desc(), runs.c.id.desc()).limit(limit)
    if kind:
        query = query.where(runs.c.kind == kind)
    return [_run(row) for row in conn.execute(query)]


def _run(row: Any) -> Run:
    return Run(
        id=row.id, kind=row.kind, started=row.started, ended=row.ended, status=row.status,
        requests=row.requests, new=row.new, updated=row.updated, errors=row.errors,
        message=row.message, params=json.loads(row.params or "{}"),
        cursor=json.loads(row.cursor) if row.cursor else None,
    )


def update_run_progress(conn: Connection, run_id: int, *, requests: int, new: int, updated: int,
                        errors: int, cursor: Any) -> None:
    """Save a running run's counts and resume state; called in the same transaction as the
    data it describes, so the cursor never points past or short of what is stored."""
    conn.execute(runs.update().where(runs.c.id == run_id).values(
        requests=requests, new=new, updated=updated, errors=errors,
        cursor=json.dumps(cursor, default=str)))


def mark_abandoned_runs(conn: Connection, kind: str, message: str) -> int:
    """Mark runs of `kind` still "running" as interrupted (call only while holding the stage's
    lock, when no such run can be alive); returns how many were marked."""
    result = conn.execute(runs.update().where(runs.c.kind == kind, runs.c.status == "running")
                          .values(status="interrupted", ended=utcnow(), message=message))
    return result.rowcount or 0


def recent_runs_json(conn: Connection, kinds: tuple[str, ...] = ("fetch", "harvest"), limit: int = 5
                     ) -> list[dict[str, Any]]:
    """The latest runs of `kinds`, newest first, as JSON-able dicts (for `papersift status`)."""
    query = (select(runs).where(runs.c.kind.in_(kinds))
             .order_by(runs.c.started.desc(), runs.c.id.desc()).limit(limit))
    return [{"id": r.id, "kind": r.kind, "status": r.status,
             "started": r.started.isoformat(), "ended": r.ended.isoformat() if r.ended else None,
             "requests": r.requests, "new": r.new, "updated": r.updated, "errors": r.errors,
             "message": r.message} for r in map(_run, conn.execute(query))]
