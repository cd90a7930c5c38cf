"""Logins kept on the server, so that ending one really ends it.

A login is a random token: the browser's cookies carry the token, the store keeps only
its SHA-256 and an expiry. Logging out deletes the row, so a session or remember-me
cookie copied before stops working at once; "log out everywhere", a password change and
deleting the account delete every row of the user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.engine import Connection

from store import utcnow
from store.schema import user_sessions, users
from store.users import User, set_password, user_from_row


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: Connection, user_id: int, lifetime: timedelta) -> str:
    """A new login for the user, valid for `lifetime`; returns the token for the cookie.

    Expired logins (of anyone) are swept on the way, so the table stays small.
    """
    now = utcnow()
    conn.execute(delete(user_sessions).where(user_sessions.c.expires <= now))
    token = secrets.token_urlsafe(32)
    conn.execute(user_sessions.insert().values(token_hash=_digest(token), user_id=user_id,
                                               created=now, expires=now + lifetime))
    return token


def session_user(conn: Connection, token: str) -> User | None:
    """The user logged in with this token, or None when it was ended, expired or never existed."""
    if not token:
        return None
    row = conn.execute(
        select(users).join(user_sessions, user_sessions.c.user_id == users.c.id)
        .where(and_(user_sessions.c.token_hash == _digest(token), user_sessions.c.expires > utcnow()))
    ).first()
    return user_from_row(row) if row else None


def end_session(conn: Connection, token: str) -> None:
    """Log this one login out."""
    conn.execute(delete(user_sessions).where(user_sessions.c.token_hash == _digest(token)))


def end_user_sessions(conn: Connection, user_id: int) -> int:
    """Log the user out everywhere; returns how many logins ended."""
    return conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id)).rowcount


def change_password(conn: Connection, user_id: int, password: str) -> None:
    """Set a new password and end every login of the user (a thief's copy of a cookie, or an
    MCP token, too); AccountError for a password the rules refuse."""
    set_password(conn, user_id, password)
    end_user_sessions(conn, user_id)


def count_sessions(conn: Connection, user_id: int) -> int:
    """The user's live logins (for the account page)."""
    rows = conn.execute(select(user_sessions.c.token_hash).where(
        and_(user_sessions.c.user_id == user_id, user_sessions.c.expires > utcnow())))
    return len(rows.all())
