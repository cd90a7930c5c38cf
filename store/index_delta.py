"""What changed in the store since an index version was read: the delta of an incremental
index update.

A version records the store's high-water mark, read in the same snapshot as its
documents: the newest `papers.modified` and the newest `fulltext.updated` it saw, and the
ids stamped exactly at each (writers stamp a whole batch with one time). The next update
reads the papers whose row or full text changed after the mark (a full text becoming ok
or stale changes the document), those stamped at the mark but not seen with it (a batch
committed after the snapshot on an equal timestamp), and finds the papers no longer in
the store. Past MAX_TIED_IDS ties the ids are not recorded and every tie is read again:
reading a paper twice is harmless (it replaces itself), missing one is not. Writers stamp
to the microsecond (store.change_stamp), so a paper seen at the mark and changed again
carries a later stamp.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from store.schema import fulltext, papers

# {"papers": ISO time or None, "papers_at_mark": [ids] or None, "fulltext": ..., "fulltext_at_mark": ...}
HighWater = Mapping[str, Any]
MAX_TIED_IDS = 20_000
# ids bound into one IN (...) query
_IDS_PER_QUERY = 500


def high_water(conn: Connection) -> dict[str, Any]:
    """The newest paper change and full-text change the connection's snapshot sees, with
    the ids stamped at each."""
    mark: dict[str, Any] = {}
    for name, stamp, key in (("papers", papers.c.modified, papers.c.id),
                             ("fulltext", fulltext.c.updated, fulltext.c.paper_id)):
        last = conn.execute(select(func.max(stamp))).scalar()
        tied = None if last is None else list(conn.execute(
            select(key).where(stamp == last).limit(MAX_TIED_IDS + 1)).scalars())
        mark[name] = _iso(last)
        mark[f"{name}_at_mark"] = sorted(tied) if tied is not None and len(tied) <= MAX_TIED_IDS \
            else None
    return mark


def changed_paper_ids(conn: Connection, since: HighWater) -> list[str]:
    """Ids of the papers changed since the mark `since`, in index row order (oldest first).

    A paper counts as changed when its row was modified or its full text's status or text
    changed (any status: ok, stale, failed alike; a needless re-read costs little). The
    paper changes and the full-text changes are two queries, each a range of its own
    table: as one outer join with an OR across both tables, SQLite read every paper (17 s
    at 1M papers, for 2,000 new ones).
    """
    paper_mark, text_mark = _time(since.get("papers")), _time(since.get("fulltext"))
    seen_papers = set(since.get("papers_at_mark") or ())
    seen_texts = set(since.get("fulltext_at_mark") or ())
    changed = {row.id for row in conn.execute(
        select(papers.c.id, papers.c.modified).where(
            papers.c.id.isnot(None) if paper_mark is None else papers.c.modified >= paper_mark))
        if _after(row.modified, paper_mark, row.id, seen_papers)}
    changed.update(row.paper_id for row in conn.execute(
        select(fulltext.c.paper_id, fulltext.c.updated).where(
            fulltext.c.paper_id.isnot(None) if text_mark is None else fulltext.c.updated >= text_mark))
        if row.updated is not None and _after(row.updated, text_mark, row.paper_id, seen_texts))
    return _in_index_order(conn, changed)


def _in_index_order(conn: Connection, ids: set[str]) -> list[str]:
    """The stored papers among `ids`, ordered as the index orders its rows."""
    wanted, rows = sorted(ids), []
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        rows.extend(conn.execute(select(papers.c.published, papers.c.id).where(
            papers.c.id.in_(wanted[start:start + _IDS_PER_QUERY]))).all())
    return [paper_id for _published, paper_id in sorted(rows)]


def _after(stamp: datetime, mark: datetime | None, paper_id: str, seen: set[str]) -> bool:
    """Whether a change stamped `stamp` is news to a version read at `mark`."""
    if mark is None or stamp > mark:
        return True
    return stamp == mark and paper_id not in seen


def stored_paper_ids(conn: Connection) -> list[str]:
    """Every paper id in the store (to find the index's papers that were deleted)."""
    return list(conn.execute(select(papers.c.id)).scalars())


def _iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
