"""Followed authors per user, and the store look-ups behind author pages.

Names are matched by `recommend.author_names`; the store only finds candidate papers by last
name (paper_author_names), newest first. Every follow function takes the user's
id and touches only that user's rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Row

from domain.names import LAST_NAME_CHARS, fold
from store import utcnow
from store.papers import Paper, _paper
from store.schema import follows, papers
from store.schema import paper_author_names as naming

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


class AuthorList(NamedTuple):
    """A paper's id, first-version date and author list: what resolving a name needs."""
    id: str
    published: datetime
    authors: tuple[str, ...]


def papers_naming(conn: Connection, last_names: list[str], *, since: datetime | None = None,
                  limit: int = 2000) -> list[Paper]:
    """Papers with an author of one of these last names, newest first, at most `limit`;
    accents and case are folded on both sides ("Muller" finds "Müller" and "Müller" finds
    "Muller"). Each name is one range of paper_author_names, read newest first."""
    rows = _naming(conn, last_names, since, limit, [papers])
    return [_paper(r) for r in rows]


def author_lists_naming(conn: Connection, last_names: list[str], *, since: datetime | None = None,
                        limit: int = 2000) -> list[AuthorList]:
    """`papers_naming`'s papers as their id, date and authors only (the Following page
    resolves a dozen names, each over up to `limit` papers, and shows 25)."""
    rows = _naming(conn, last_names, since, limit, [papers.c.id, papers.c.published, papers.c.authors])
    return [AuthorList(r.id, r.published, tuple(json.loads(r.authors))) for r in rows]


def _naming(conn: Connection, last_names: list[str], since: datetime | None, limit: int,
            columns: list) -> list[Row]:
    keys = [k for k in dict.fromkeys(fold(n)[:LAST_NAME_CHARS] for n in last_names) if k]
    found = [r for key in keys for r in conn.execute(
        select(*columns).join(naming, naming.c.paper_id == papers.c.id)
        .where(naming.c.last_name == key, *([naming.c.published >= since] if since else []))
        .order_by(naming.c.published.desc(), naming.c.paper_id.desc()).limit(limit))]
    unique = {r.id: r for r in found}.values()
    return sorted(unique, key=lambda r: (r.published, r.id), reverse=True)[:limit]
