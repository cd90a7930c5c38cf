"""Counts that browse and search pages show, kept cheap as the store grows.

Counting is the one part of a browse page whose cost follows the corpus: an exact count
of a filter reads every matching row, and the category list reads every category row.

- A filter's count stops at a cap (`capped_count`): past it a page says "more than" and
  the count costs at most cap + 1 index entries.
- The whole store's paper count and the papers per category are kept per engine (one set
  of figures per process and store) while the store's change mark stays the same, and at
  most KEEP_SECONDS. Every write of papers (`store.papers.upsert_papers`) sets the mark,
  a row of `meta`, to a new random token in its own transaction, so every process sees a
  new mark exactly when it can see the new papers; KEEP_SECONDS bounds what a write by
  other means (a restored backup) leaves unseen.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from store.schema import meta, paper_categories, papers

KEEP_SECONDS = 60.0
T = TypeVar("T")

_kept: weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, object, object]]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


CHANGE_MARK = "papers_changed"


def mark_changed(conn: Connection) -> None:
    """Record, in the caller's transaction, that papers or their categories changed."""
    token = uuid.uuid4().hex
    where = meta.c.key == CHANGE_MARK
    if conn.execute(meta.update().where(where).values(value=token)).rowcount == 0:
        conn.execute(meta.insert().values(key=CHANGE_MARK, value=token))


def store_stamp(conn: Connection) -> object:
    """The store's change mark (one primary-key lookup; None before the first write)."""
    return conn.execute(select(meta.c.value).where(meta.c.key == CHANGE_MARK)).scalar()


def kept(conn: Connection, name: str, compute: Callable[[Connection], T]) -> T:
    """compute(conn), reused while the store has not changed (see the module's note)."""
    stamp, now = store_stamp(conn), time.monotonic()
    with _lock:
        figures = _kept.setdefault(conn.engine, {})
        hit = figures.get(name)
    if hit is not None and hit[1] == stamp and now - hit[0] < KEEP_SECONDS:
        return hit[2]  # type: ignore[return-value]
    value = compute(conn)
    with _lock:
        figures[name] = (now, stamp, value)
    return value


def count_all(conn: Connection) -> int:
    """Papers in the store (kept while the store is unchanged)."""
    return kept(conn, "papers", lambda c: c.execute(select(func.count()).select_from(papers))
                .scalar_one())


def papers_per_category(conn: Connection) -> dict[str, int]:
    """Papers per category (any position), most first (kept while the store is unchanged)."""
    def compute(c: Connection) -> dict[str, int]:
        cnt = func.count().label("n")
        rows = c.execute(select(paper_categories.c.category, cnt)
                         .group_by(paper_categories.c.category)
                         .order_by(cnt.desc(), paper_categories.c.category))
        return {r.category: r.n for r in rows}
    return kept(conn, "categories", compute)


def capped_count(conn: Connection, where, cap: int | None) -> int:
    """Papers matching `where` (None: all); with a cap, at most cap + 1 (meaning "more")."""
    if where is None:
        total = count_all(conn)
        return total if cap is None else min(total, cap + 1)
    if cap is None:
        return conn.execute(select(func.count()).select_from(papers).where(where)).scalar_one()
    matching = select(papers.c.id).where(where).limit(cap + 1).subquery()
    return conn.execute(select(func.count()).select_from(matching)).scalar_one()
