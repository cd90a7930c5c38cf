"""Followed authors per user, and the store look-ups behind author pages.

Names are matched by `ingest.author_names`; the store only finds candidate papers by last
name (a LIKE over the authors JSON), newest first. Every follow function takes the user's
id and touches only that user's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from domain.names import fold
from store import utcnow
from store.papers import Paper, _paper
from store.schema import follows, papers

MAX_FOLLOWS = 200


class FollowError(ValueError):
    """A follow that cannot be made; the message is for people."""


@dataclass(frozen=True, slots=True)
class Follow:
    id: int
    name: str
    name_key: str
    created: datetime


def _follow(row) -> Follow:
    return Follow(row.id, row.name, row.name_key, row.created)


def list_follows(conn: Connection, user_id: int) -> list[Follow]:
    rows = conn.execute(select(follows).where(follows.c.user_id == user_id).order_by(follows.c.name))
    return [_follow(r) for r in rows]


def find_follow(conn: Connection, user_id: int, name_key: str) -> Follow | None:
    row = conn.execute(select(follows).where(and_(follows.c.user_id == user_id,
                                                  follows.c.name_key == name_key))).first()
    return _follow(row) if row else None


def follow(conn: Connection, user_id: int, name: str, name_key: str) -> Follow:
    """Follow an author (idempotent: following again returns the existing follow)."""
    found = find_follow(conn, user_id, name_key)
    if found:
        return found
    n = conn.execute(select(func.count()).where(follows.c.user_id == user_id)).scalar_one()
    if n >= MAX_FOLLOWS:
        raise FollowError(f"You can follow at most {MAX_FOLLOWS} authors.")
    now = utcnow()
    new_id = conn.execute(follows.insert().values(user_id=user_id, name=name[:200], name_key=name_key[:200],
                                                  created=now)).inserted_primary_key[0]
    return Follow(int(new_id), name[:200], name_key[:200], now)


def unfollow(conn: Connection, user_id: int, name_key: str) -> bool:
    return conn.execute(follows.delete().where(and_(follows.c.user_id == user_id,
                                                    follows.c.name_key == name_key))).rowcount > 0


def papers_naming(conn: Connection, needles: list[str], *, since: datetime | None = None,
                  limit: int = 2000) -> list[Paper]:
    """Papers whose author list contains any of these strings, newest first; accents and case
    are folded on both sides ("Muller" finds "Müller" and "Müller" finds "Muller")."""
    needles = [n for n in dict.fromkeys(fold(n) for n in needles) if n]
    if not needles:
        return []
    where = or_(*[papers.c.authors_folded.like(f"%{_escape(n)}%", escape="\\") for n in needles])
    if since is not None:
        where = and_(where, papers.c.published >= since)
    rows = conn.execute(select(papers).where(where)
                        .order_by(papers.c.published.desc(), papers.c.id.desc()).limit(limit))
    return [_paper(r) for r in rows]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
