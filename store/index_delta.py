"""What changed in the store since an index version was read: the delta of an incremental
index update.

A version records the store's high-water mark, the newest `papers.modified` and the
newest `fulltext.updated` it saw, read in the same snapshot as its documents. The next
update reads the papers whose row or full text changed at or after that mark (a full text
becoming ok or stale changes the document) and the papers no longer in the store.

The comparison is inclusive: papers stamped exactly at the mark are read again. Writers
stamp a whole batch with one time, so a batch may straddle the snapshot on equal
timestamps; reading a paper twice is harmless (it is replaced by itself), missing one is
not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from store.schema import fulltext, papers

# high-water mark: {"papers": ISO time or None, "fulltext": ISO time or None}
HighWater = Mapping[str, str | None]


def high_water(conn: Connection) -> dict[str, str | None]:
    """The newest paper change and full-text change the connection's snapshot sees."""
    last_paper = conn.execute(select(func.max(papers.c.modified))).scalar()
    last_text = conn.execute(select(func.max(fulltext.c.updated))).scalar()
    return {"papers": _iso(last_paper), "fulltext": _iso(last_text)}


def changed_paper_ids(conn: Connection, since: HighWater) -> list[str]:
    """Ids of the papers changed at or after `since`, in index row order (oldest first).

    A paper counts as changed when its row was modified or its full text's status or text
    changed (any status: ok, stale, failed alike; a needless re-read costs little).
    """
    clauses = []
    if since.get("papers") is not None:
        clauses.append(papers.c.modified >= _time(since["papers"]))
    else:
        clauses.append(papers.c.id.isnot(None))     # no mark: every paper is new
    if since.get("fulltext") is not None:
        texts = select(fulltext.c.paper_id).where(fulltext.c.updated >= _time(since["fulltext"]))
    else:
        texts = select(fulltext.c.paper_id)
    clauses.append(papers.c.id.in_(texts))
    query = (select(papers.c.id).where(or_(*clauses))
             .order_by(papers.c.published, papers.c.id))
    return list(conn.execute(query).scalars())


def stored_paper_ids(conn: Connection) -> list[str]:
    """Every paper id in the store (to find the index's papers that were deleted)."""
    return list(conn.execute(select(papers.c.id)).scalars())


def _iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _time(value: str | None) -> datetime:
    if value is None:
        raise ValueError("no high-water time")
    return datetime.fromisoformat(value)
