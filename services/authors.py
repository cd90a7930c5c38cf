"""Author pages, follows and the Following list: store look-ups plus name resolution.

Papers are found by last name in the store (so papers fetched since the last index build
count too), then kept only when an author on them resolves to the wanted person
(`recommend.author_names.resolve`). An ambiguous name yields the people it could be and
no papers: the page lists them rather than guessing.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.engine import Connection, Engine

from recommend.author_names import Resolution, coauthors, display_name, needles, parse_name, resolve
from store import follows as follow_store
from store.counts import store_stamp
from store.papers import Paper, get_papers
from store.seen import seen_among

MAX_CANDIDATES = 2000


class AuthorNameError(ValueError):
    """Not a usable author name; the message is for people."""


@dataclass
class AuthorPage:
    wanted: str
    name: str                                   # the person's commonest full spelling
    key: str                                    # folded name: what a follow stores
    resolution: Resolution
    papers: list[Paper] = field(default_factory=list)
    coauthors: list[tuple[str, int]] = field(default_factory=list)


def check_name(wanted: str) -> str:
    wanted = " ".join((wanted or "").split())
    if not wanted or len(wanted) > 200 or not parse_name(wanted).last:
        raise AuthorNameError("Give an author's name, e.g. “Geoffrey Hinton” or “G. Hinton”.")
    return wanted


def _resolved(conn: Connection, wanted: str, since: datetime | None = None, *, whole: bool = True
              ) -> tuple[Resolution, list]:
    """The person `wanted` resolves to, and their papers newest first: whole Papers, or
    (whole=False) follow_store.AuthorList rows."""
    name = parse_name(wanted)
    lookup = follow_store.papers_naming if whole else follow_store.author_lists_naming
    candidates = lookup(conn, needles(name, wanted), since=since, limit=MAX_CANDIDATES)
    resolution = resolve(wanted, [a for p in candidates for a in p.authors])
    if resolution.ambiguous:
        return resolution, []
    names = set(resolution.names)
    return resolution, [p for p in candidates if names.intersection(p.authors)]


def author_page(conn: Connection, wanted: str) -> AuthorPage:
    """The author's papers in the store, newest first, and frequent co-authors."""
    wanted = check_name(wanted)
    resolution, papers = _resolved(conn, wanted)
    name = display_name(resolution, wanted)
    return AuthorPage(wanted, name, parse_name(name).key, resolution, papers,
                      coauthors([p.authors for p in papers], set(resolution.names)))


class _Brief(NamedTuple):
    id: str
    published: datetime


# a followed author's resolved papers, per process and store, while the store's papers are
# unchanged (its change mark: store/counts.py) and at most MEMO_SECONDS (for writes by other
# means): the Following page, its feed and the digests resolve every follow on every view
MEMO_SECONDS = 600.0
MEMO_ENTRIES = 256
_Memo = OrderedDict[tuple, tuple[float, Resolution, tuple[_Brief, ...]]]
_memos: weakref.WeakKeyDictionary[Engine, _Memo] = weakref.WeakKeyDictionary()   # per store
_memo_lock = threading.Lock()


def _followed(conn: Connection, wanted: str, since: datetime | None
              ) -> tuple[Resolution, tuple[_Brief, ...]]:
    """`_resolved` of a followed name, as ids and dates, kept while the store is unchanged."""
    key = (store_stamp(conn), wanted, since)
    now = time.monotonic()
    with _memo_lock:
        memo = _memos.setdefault(conn.engine, OrderedDict())
        hit = memo.get(key)
        if hit is not None and now - hit[0] < MEMO_SECONDS:
            memo.move_to_end(key)
            return hit[1], hit[2]
    resolution, rows = _resolved(conn, wanted, since, whole=False)
    papers = tuple(_Brief(r.id, r.published) for r in rows)
    with _memo_lock:
        memo[key] = (now, resolution, papers)
        while len(memo) > MEMO_ENTRIES:
            memo.popitem(last=False)
    return resolution, papers


@dataclass
class FollowingPage:
    follows: list[follow_store.Follow]
    papers: list[tuple[Paper, list[str]]]       # (paper, the followed names on it)
    total: int
    hidden_seen: int
    ambiguous: list[str]                         # follows that now fit several people


def following(conn: Connection, user_id: int, *, hide_seen: bool, since: datetime | None = None,
              limit: int = 25, offset: int = 0) -> FollowingPage:
    """New papers by the user's followed authors, newest first (seen papers left out on request)."""
    mine = follow_store.list_follows(conn, user_id)
    by_id: dict[str, tuple[_Brief, list[str]]] = {}
    ambiguous: list[str] = []
    for f in mine:
        resolution, papers = _followed(conn, f.name, since)
        if resolution.ambiguous:
            ambiguous.append(f.name)
        for p in papers:
            by_id.setdefault(p.id, (p, []))[1].append(f.name)
    rows = sorted(by_id.values(), key=lambda r: (r[0].published, r[0].id), reverse=True)
    hidden = 0
    if hide_seen and rows:
        seen = seen_among(conn, user_id, [p.id for p, _ in rows])
        hidden = len(seen)
        rows = [r for r in rows if r[0].id not in seen]
    shown = rows[offset:offset + limit]
    whole = {p.id: p for p in get_papers(conn, [p.id for p, _ in shown])}
    page = [(whole[p.id], names) for p, names in shown if p.id in whole]
    return FollowingPage(mine, page, len(rows), hidden, ambiguous)


def follow_author(conn: Connection, user_id: int, wanted: str) -> AuthorPage:
    """Follow an author; AuthorNameError when the name is ambiguous or has no papers here."""
    page = author_page(conn, wanted)
    if page.resolution.ambiguous:
        raise AuthorNameError(f"“{page.wanted}” could be {', '.join(page.resolution.people)}: "
                              "follow one of them by full name.")
    if not page.papers:
        raise AuthorNameError(f"No papers by “{page.wanted}” in this papersift.")
    follow_store.follow(conn, user_id, page.name, page.key)
    return page
