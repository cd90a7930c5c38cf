"""User accounts: create, look up, check and change passwords, delete with all their data.

Passwords are hashed with werkzeug's default (scrypt), never stored or logged in clear. New
passwords need 10 characters and must not be among the most common passwords (zxcvbn's list).
Usernames are compared case-insensitively, so "Ada" and "ada" cannot both exist.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from store import utcnow
from store.schema import library, not_interested, paper_tags, tags, user_sessions, users

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,31}")
USERNAME_RULE = "3-32 letters, digits, '.', '_' or '-', starting with a letter or digit"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024          # hashing a megabyte of password is a denial of service


class AccountError(ValueError):
    """A username or password that cannot be used; the message says why, for people."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_hash: str
    is_admin: bool
    created: datetime


def user_from_row(row) -> User:
    return User(row.id, row.username, row.password_hash, bool(row.is_admin), row.created)


def check_username(username: str) -> str:
    """The username stripped, or AccountError saying what is wrong with it."""
    name = (username or "").strip()
    if not USERNAME.fullmatch(name):
        raise AccountError(f"Usernames are {USERNAME_RULE}.")
    return name


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of leaked password lists, lowercase, as zxcvbn ships
    them (MIT licence). A bundled list: no password ever leaves the machine to be checked."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str) -> str:
    """The password of a new account or a password change, or AccountError saying why not:
    at least MIN_PASSWORD characters and not one of the common_passwords()."""
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"Passwords can have at most {MAX_PASSWORD} characters.")
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        raise AccountError("That password is one of the most common ones, the first that attackers "
                           "try; choose another.")
    return password


def create_user(conn: Connection, username: str, password: str, *, is_admin: bool = False) -> User:
    """A new account; AccountError when the name is invalid or taken or the password too short."""
    name = check_username(username)
    check_password(password)
    if find_user(conn, name) is not None:
        raise AccountError(f"The username {name!r} is taken.")
    result = conn.execute(users.insert().values(
        username=name, password_hash=generate_password_hash(password), is_admin=is_admin,
        created=utcnow()))
    user = get_user(conn, int(result.inserted_primary_key[0]))
    assert user is not None
    return user


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return user_from_row(row) if row else None


def find_user(conn: Connection, username: str) -> User | None:
    """The account with this name, ignoring case."""
    name = (username or "").strip().lower()
    row = conn.execute(select(users).where(func.lower(users.c.username) == name)).first()
    return user_from_row(row) if row else None


def authenticate(conn: Connection, username: str, password: str) -> User | None:
    """The user when the password matches, else None (same work for unknown names)."""
    user = find_user(conn, username)
    if user is None or len(password or "") > MAX_PASSWORD:
        check_password_hash(dummy_hash(), "not the password")  # keep timing alike
        return None
    return user if check_password_hash(user.password_hash, password) else None


@functools.cache
def dummy_hash() -> str:
    """A hash to check unknown names against, made on first use (scrypt takes ~0.1 s, too
    long for every process start; servers make it at start-up, see `web.preload`)."""
    return generate_password_hash("papersift timing equaliser")


def set_password(conn: Connection, user_id: int, password: str) -> None:
    check_password(password)
    conn.execute(users.update().where(users.c.id == user_id)
                 .values(password_hash=generate_password_hash(password)))


def set_email(conn: Connection, user_id: int, email: str | None) -> bool:
    """Store the user's email address (None or "" for none); True when it changed.

    A changed address starts unconfirmed: nothing is mailed to it until confirm_email()
    (the link papersift mails to it) says its owner asked for it.
    """
    email = email or None
    current = conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
    if current == email:
        return False
    conn.execute(users.update().where(users.c.id == user_id).values(email=email, email_confirmed=None))
    return True


def confirm_email(conn: Connection, user_id: int, email: str) -> bool:
    """Mark the address confirmed, if it is still the user's address; True when it is."""
    if not email:
        return False
    result = conn.execute(users.update().where(and_(users.c.id == user_id, users.c.email == email))
                          .values(email_confirmed=utcnow()))
    return result.rowcount > 0


def email_confirmed(conn: Connection, user_id: int) -> bool:
    """Whether the user has an address and confirmed it: the rule for mailing anything."""
    row = conn.execute(select(users.c.email, users.c.email_confirmed).where(users.c.id == user_id)).first()
    return bool(row and row.email and row.email_confirmed)


def list_users(conn: Connection) -> list[tuple[User, int]]:
    """Every account with the size of its library, oldest first."""
    n = select(func.count()).where(library.c.user_id == users.c.id).scalar_subquery()
    rows = conn.execute(select(users, n.label("n")).order_by(users.c.id))
    return [(user_from_row(r), r.n) for r in rows]


def delete_user(conn: Connection, user_id: int) -> bool:
    """Delete an account and everything it owns (library, tags, not-interested marks, logins).

    Deletes explicitly rather than relying on ON DELETE CASCADE, which SQLite honours
    only with foreign keys switched on.
    """
    tag_ids = select(tags.c.id).where(tags.c.user_id == user_id)
    conn.execute(paper_tags.delete().where(paper_tags.c.tag_id.in_(tag_ids)))
    conn.execute(tags.delete().where(tags.c.user_id == user_id))
    conn.execute(library.delete().where(library.c.user_id == user_id))
    conn.execute(not_interested.delete().where(not_interested.c.user_id == user_id))
    conn.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id))
    return conn.execute(users.delete().where(users.c.id == user_id)).rowcount > 0
