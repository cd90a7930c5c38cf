"""Seen marks: papers a user has opened, been mailed or marked as seen, per user.

Every function takes the user's id and touches only that user's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from store import utcnow
from store.library import known_ids
from store.schema import seen

HOWS = ("opened", "digest", "marked", "page")
BATCH = 500


def mark_seen(conn: Connection, user_id: int, paper_ids: Sequence[str], how: str = "marked",
              now: datetime | None = None) -> list[str]:
    """Mark papers seen (unknown ids are skipped, earlier marks kept); the newly marked ids."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {HOWS}")
    wanted = list(dict.fromkeys(paper_ids))
    known = known_ids(conn, wanted)
    have = seen_among(conn, user_id, wanted)
    new = [p for p in wanted if p in known and p not in have]
    if new:
        when = now or utcnow()
        conn.execute(seen.insert(), [{"user_id": user_id, "paper_id": p, "seen": when, "how": how}
                                     for p in new])
    return new


def unmark_seen(conn: Connection, user_id: int, paper_ids: Sequence[str]) -> int:
    ids = list(dict.fromkeys(paper_ids))
    done = 0
    for start in range(0, len(ids), BATCH):
        done += conn.execute(seen.delete().where(and_(
            seen.c.user_id == user_id, seen.c.paper_id.in_(ids[start:start + BATCH])))).rowcount
    return done


def seen_among(conn: Connection, user_id: int, paper_ids: Sequence[str]) -> set[str]:
    """Which of these papers the user has seen."""
    ids = list(dict.fromkeys(paper_ids))
    out: set[str] = set()
    for start in range(0, len(ids), BATCH):
        out.update(conn.execute(select(seen.c.paper_id).where(and_(
            seen.c.user_id == user_id, seen.c.paper_id.in_(ids[start:start + BATCH])))).scalars())
    return out


def seen_ids(conn: Connection, user_id: int) -> set[str]:
    return set(conn.execute(select(seen.c.paper_id).where(seen.c.user_id == user_id)).scalars())
