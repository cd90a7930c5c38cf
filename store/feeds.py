"""Saved searches, feed tokens and email-digest state of each user.

A user's private feeds live at URLs carrying `users.feed_token`, an unguessable random
string that the user can revoke (feeds answer 404 from then on) or regenerate (old URLs die,
new ones work). Digest settings say how often (off, daily, weekly), to which address, and
what goes in (whole-library recommendations, chosen tags, saved searches marked for the
digest); `digest_sent` records every paper mailed to a user so none is mailed twice.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from store import utcnow
from store.schema import digest_sent, digest_settings, digest_tags, saved_searches, tags, users
from store.users import set_email

FREQUENCIES = ("off", "daily", "weekly")
MAX_SAVED = 100                 # saved searches per user
MAX_NAME = 200
MAX_QUERY = 1000
EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"'.]+")


class FeedError(ValueError):
    """A saved search or digest setting that cannot be stored; the message says why, for people."""


# -- saved searches ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    user_id: int
    name: str
    query: str
    category: str
    window: str
    sort: str
    in_digest: bool
    created: datetime

    def args(self) -> dict[str, str]:
        """Query-string arguments of the search page that reproduce this search."""
        values = {"q": self.query, "cat": self.category, "window": self.window, "sort": self.sort}
        defaults = {"cat": "", "window": "all", "sort": "relevance"}
        return {k: v for k, v in values.items() if defaults.get(k) != v}


def _saved(row) -> SavedSearch:
    return SavedSearch(row.id, row.user_id, row.name, row.query, row.category, row.time_window,
                       row.sort, bool(row.in_digest), row.created)


def _clean(text: str, limit: int, what: str) -> str:
    clean = " ".join((text or "").split())
    if not clean:
        raise FeedError(f"The {what} is empty.")
    if len(clean) > limit:
        raise FeedError(f"The {what} can have at most {limit} characters.")
    if any(unicodedata.category(c).startswith("C") for c in clean):
        raise FeedError(f"The {what} cannot hold control characters.")
    return clean


def save_search(conn: Connection, user_id: int, query: str, *, name: str = "", category: str = "",
                window: str = "all", sort: str = "relevance") -> tuple[SavedSearch, bool]:
    """(saved search, created?) — saving the same query and filters twice returns the first one.

    The caller checks that category, window and sort are valid values (the search page does).
    """
    query = _clean(query, MAX_QUERY, "query")
    name = _clean(name, MAX_NAME, "name") if (name or "").strip() else query[:MAX_NAME]
    same = select(saved_searches).where(
        saved_searches.c.user_id == user_id, saved_searches.c.query == query,
        saved_searches.c.category == category, saved_searches.c.time_window == window,
        saved_searches.c.sort == sort)
    row = conn.execute(same).first()
    if row is not None:
        return _saved(row), False
    if len(list_saved_searches(conn, user_id)) >= MAX_SAVED:
        raise FeedError(f"You can keep at most {MAX_SAVED} saved searches; delete one first.")
    result = conn.execute(saved_searches.insert().values(
        user_id=user_id, name=name, query=query, category=category, time_window=window, sort=sort,
        in_digest=True, created=utcnow()))
    saved = get_saved_search(conn, user_id, int(result.inserted_primary_key[0]))
    assert saved is not None
    return saved, True


def list_saved_searches(conn: Connection, user_id: int) -> list[SavedSearch]:
    rows = conn.execute(select(saved_searches).where(saved_searches.c.user_id == user_id)
                        .order_by(saved_searches.c.id))
    return [_saved(r) for r in rows]


def get_saved_search(conn: Connection, user_id: int, search_id: int) -> SavedSearch | None:
    """The user's saved search with this id; None when it is missing or someone else's."""
    row = conn.execute(select(saved_searches).where(
        saved_searches.c.id == search_id, saved_searches.c.user_id == user_id)).first()
    return _saved(row) if row else None


def delete_saved_search(conn: Connection, user_id: int, search_id: int) -> bool:
    return conn.execute(saved_searches.delete().where(
        saved_searches.c.id == search_id, saved_searches.c.user_id == user_id)).rowcount > 0


# -- feed tokens ------------------------------------------------------------------


def feed_token(conn: Connection, user_id: int) -> str | None:
    return conn.execute(select(users.c.feed_token).where(users.c.id == user_id)).scalar()


def regenerate_feed_token(conn: Connection, user_id: int) -> str:
    """A new random token; feed URLs with the old one stop working."""
    token = secrets.token_urlsafe(24)
    conn.execute(users.update().where(users.c.id == user_id).values(feed_token=token))
    return token


def revoke_feed_token(conn: Connection, user_id: int) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(feed_token=None))


def user_for_feed_token(conn: Connection, token: str) -> tuple[int, str] | None:
    """(user id, username) owning a feed token, or None for an unknown or revoked one."""
    if not token or len(token) > 64:
        return None
    row = conn.execute(select(users.c.id, users.c.username).where(users.c.feed_token == token)).first()
    return (row.id, row.username) if row else None


# -- digest settings --------------------------------------------------------------


@dataclass(frozen=True)
class DigestSettings:
    user_id: int
    username: str
    email: str
    frequency: str = "off"
    library: bool = True
    tag_ids: frozenset[int] = frozenset()
    last_sent: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str | None = None
    email_confirmed: bool = False

    @property
    def wanted(self) -> bool:
        """The user asked for a digest and gave an address."""
        return self.frequency != "off" and bool(self.email)

    @property
    def enabled(self) -> bool:
        """A digest goes out only to an address its owner confirmed (store.users.confirm_email)."""
        return self.wanted and self.email_confirmed


def check_email(email: str) -> str:
    email = (email or "").strip()
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise FeedError(f"{email[:60]!r} is not an email address.")
    return email


def get_digest_settings(conn: Connection, user_id: int) -> DigestSettings | None:
    """The user's digest settings (defaults when never set); None for an unknown user."""
    user = conn.execute(select(users.c.id, users.c.username, users.c.email, users.c.email_confirmed)
                        .where(users.c.id == user_id)).first()
    if user is None:
        return None
    confirmed = bool(user.email and user.email_confirmed)
    row = conn.execute(select(digest_settings).where(digest_settings.c.user_id == user_id)).first()
    tag_ids = frozenset(conn.execute(select(digest_tags.c.tag_id)
                                     .where(digest_tags.c.user_id == user_id)).scalars())
    if row is None:
        return DigestSettings(user.id, user.username, user.email or "", tag_ids=tag_ids,
                              email_confirmed=confirmed)
    return DigestSettings(user.id, user.username, user.email or "", row.frequency, bool(row.library),
                          tag_ids, row.last_sent, row.last_attempt, row.last_error, confirmed)


def _ensure_row(conn: Connection, user_id: int) -> None:
    exists = conn.execute(select(digest_settings.c.user_id)
                          .where(digest_settings.c.user_id == user_id)).first()
    if exists is None:
        conn.execute(digest_settings.insert().values(user_id=user_id, frequency="off", library=True))


def set_digest_settings(conn: Connection, user_id: int, *, frequency: str, email: str, library: bool,
                        tag_ids: Iterable[int] = (), search_ids: Iterable[int] = ()) -> DigestSettings:
    """Store what the account page's digest form says; FeedError for a bad value.

    Tags and saved searches not owned by the user are ignored.
    """
    if frequency not in FREQUENCIES:
        raise FeedError(f"How often must be one of {', '.join(FREQUENCIES)}.")
    email = check_email(email)
    if frequency != "off" and not email:
        raise FeedError("Give an email address to receive digests.")
    set_email(conn, user_id, email)              # a new address must be confirmed again
    _ensure_row(conn, user_id)
    conn.execute(digest_settings.update().where(digest_settings.c.user_id == user_id)
                 .values(frequency=frequency, library=library))
    owned = set(conn.execute(select(tags.c.id).where(tags.c.user_id == user_id)).scalars())
    conn.execute(digest_tags.delete().where(digest_tags.c.user_id == user_id))
    chosen = sorted(owned & {int(t) for t in tag_ids})
    if chosen:
        conn.execute(digest_tags.insert(), [{"user_id": user_id, "tag_id": t} for t in chosen])
    mine = saved_searches.c.user_id == user_id
    wanted = {int(s) for s in search_ids}
    conn.execute(saved_searches.update().where(mine).values(in_digest=False))
    if wanted:
        conn.execute(saved_searches.update().where(and_(mine, saved_searches.c.id.in_(wanted)))
                     .values(in_digest=True))
    result = get_digest_settings(conn, user_id)
    assert result is not None
    return result


def update_digest(conn: Connection, user_id: int, *, email: str | None = None,
                  frequency: str | None = None) -> DigestSettings:
    """Change only the address and/or how often (None keeps a value), with the account page's
    rules; the digest's tags and saved searches stay as they are. FeedError for a bad value."""
    current = get_digest_settings(conn, user_id)
    if current is None:
        raise FeedError("No such account.")
    frequency = current.frequency if frequency is None else frequency
    if frequency not in FREQUENCIES:
        raise FeedError(f"How often must be one of {', '.join(FREQUENCIES)}.")
    email = current.email if email is None else check_email(email)
    if frequency != "off" and not email:
        raise FeedError("Give an email address to receive digests.")
    set_email(conn, user_id, email)              # a new address must be confirmed again
    _ensure_row(conn, user_id)
    conn.execute(digest_settings.update().where(digest_settings.c.user_id == user_id)
                 .values(frequency=frequency))
    result = get_digest_settings(conn, user_id)
    assert result is not None
    return result


def digest_subscriber(conn: Connection, username: str) -> DigestSettings:
    """One named user's digest settings, or FeedError saying why that user gets no digest."""
    name = (username or "").strip().lower()
    row = conn.execute(select(users.c.id).where(func.lower(users.c.username) == name)).first()
    found = get_digest_settings(conn, row.id) if row is not None else None
    if found is None:
        raise FeedError(f"No account {username!r}.")
    if not found.email:
        raise FeedError(f"{found.username} has no email address: set one with "
                        f"`papersift users set {found.username} --email ADDRESS --digest weekly`.")
    if found.frequency == "off":
        raise FeedError(f"{found.username} has no digest subscription (it is off): turn it on with "
                        f"`papersift users set {found.username} --digest weekly` (or daily).")
    if not found.email_confirmed:
        raise FeedError(f"{found.username} has not confirmed {found.email} yet: nothing is mailed there "
                        "until the link sent to it is opened (the account page sends it again).")
    return found


def unsubscribe(conn: Connection, user_id: int) -> bool:
    """Switch the user's digest off; False when there is no such user."""
    if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
        return False
    _ensure_row(conn, user_id)
    conn.execute(digest_settings.update().where(digest_settings.c.user_id == user_id)
                 .values(frequency="off"))
    return True


def digest_subscribers(conn: Connection) -> list[DigestSettings]:
    """Users whose digest is on and whose email address is confirmed, by user id."""
    ids = conn.execute(select(digest_settings.c.user_id).where(digest_settings.c.frequency != "off")
                       .order_by(digest_settings.c.user_id)).scalars().all()
    found = (get_digest_settings(conn, i) for i in ids)
    return [s for s in found if s is not None and s.enabled]


def sent_ids(conn: Connection, user_id: int) -> set[str]:
    """Papers already mailed to the user."""
    return set(conn.execute(select(digest_sent.c.paper_id)
                            .where(digest_sent.c.user_id == user_id)).scalars())


def record_sent(conn: Connection, user_id: int, paper_ids: Iterable[str], when: datetime) -> None:
    """Mark papers as mailed and the digest as done; call only after the server accepted it."""
    fresh = sorted(set(paper_ids) - sent_ids(conn, user_id))
    if fresh:
        conn.execute(digest_sent.insert(), [{"user_id": user_id, "paper_id": p, "sent": when}
                                            for p in fresh])
    _ensure_row(conn, user_id)
    conn.execute(digest_settings.update().where(digest_settings.c.user_id == user_id)
                 .values(last_sent=when, last_attempt=when, last_error=None))


def record_failure(conn: Connection, user_id: int, when: datetime, error: str) -> None:
    """Note a failed attempt (nothing is marked sent; the next run retries)."""
    _ensure_row(conn, user_id)
    conn.execute(digest_settings.update().where(digest_settings.c.user_id == user_id)
                 .values(last_attempt=when, last_error=error[:500]))
