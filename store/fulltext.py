"""Extracted full texts: stored zlib-compressed with their status and statistics; which papers
still need extraction; counts for `papersift status`."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from store import change_stamp
from store.schema import fulltext, papers


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def decompress(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


# -- queries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A paper whose current version has no usable full text yet."""
    paper_id: str
    version: int


@dataclass(frozen=True)
class FulltextInfo:
    """What the paper page shows about a paper's full text."""
    status: str
    version: int
    pages: int | None
    chars: int | None
    engine: str | None
    reason: str | None
    attempts: int
    updated: datetime


def candidates(conn: Connection, *, max_attempts: int, retry_failed: bool = False,
               limit: int | None = None) -> list[Candidate]:
    """Papers needing extraction, newest first: no row, pending, stale, an older version's
    text, or failed fewer than `max_attempts` times (any failed one with `retry_failed`)."""
    failed_again = fulltext.c.status == "failed"
    if not retry_failed:
        failed_again = and_(failed_again, fulltext.c.attempts < max_attempts)
    needs = or_(fulltext.c.paper_id.is_(None), fulltext.c.status.in_(("pending", "stale")),
                fulltext.c.version < papers.c.version, failed_again)
    query = (select(papers.c.id, papers.c.version)
             .select_from(papers.outerjoin(fulltext, fulltext.c.paper_id == papers.c.id))
             .where(needs).order_by(papers.c.published.desc(), papers.c.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    return [Candidate(row.id, row.version) for row in conn.execute(query)]


def record_result(conn: Connection, paper_id: str, version: int, *, status: str, text: str = "",
                  pages: int | None = None, seconds: float | None = None, engine: str | None = None,
                  reason: str | None = None, now: datetime | None = None) -> None:
    """Store one extraction outcome; attempts count up per version and restart for a new one."""
    now = now or change_stamp()
    row = conn.execute(select(fulltext.c.version, fulltext.c.attempts)
                       .where(fulltext.c.paper_id == paper_id)).first()
    attempts = (row.attempts or 0) + 1 if row is not None and row.version == version else 1
    values = {"version": version, "status": status, "reason": reason if status != "ok" else None,
              "text": compress(text) if status == "ok" else None,
              "pages": pages, "chars": len(text) if status == "ok" else None,
              "seconds": seconds, "engine": engine, "attempts": attempts, "updated": now}
    if row is None:
        conn.execute(fulltext.insert().values(paper_id=paper_id, **values))
    else:
        conn.execute(fulltext.update().where(fulltext.c.paper_id == paper_id).values(**values))


def refund_attempts(conn: Connection, keys: Sequence[tuple[str, int]]) -> None:
    """Take back one failed attempt from each (paper id, version): their downloads failed
    because the PDF host was down, which says nothing about the papers."""
    for paper_id, version in keys:
        conn.execute(fulltext.update()
                     .where(fulltext.c.paper_id == paper_id, fulltext.c.version == version,
                            fulltext.c.status == "failed", fulltext.c.attempts > 0)
                     .values(attempts=fulltext.c.attempts - 1))


def fulltext_info(conn: Connection, paper_id: str) -> FulltextInfo | None:
    row = conn.execute(select(fulltext.c.status, fulltext.c.version, fulltext.c.pages,
                              fulltext.c.chars, fulltext.c.engine, fulltext.c.reason,
                              fulltext.c.attempts, fulltext.c.updated)
                       .where(fulltext.c.paper_id == paper_id)).first()
    return FulltextInfo(**row._mapping) if row else None


def with_text(conn: Connection, paper_ids: Sequence[str]) -> set[str]:
    """Which of the papers have a stored full text (status ok): one query for many."""
    if not paper_ids:
        return set()
    return set(conn.execute(select(fulltext.c.paper_id).where(
        fulltext.c.paper_id.in_(list(paper_ids)), fulltext.c.status == "ok")).scalars())


def with_text_count(conn: Connection) -> int:
    """How many papers have a stored full text (status ok)."""
    return conn.execute(select(func.count()).select_from(fulltext)
                        .where(fulltext.c.status == "ok")).scalar() or 0


def get_text(conn: Connection, paper_id: str) -> str | None:
    """The stored full text of a paper (status ok), decompressed."""
    blob = conn.execute(select(fulltext.c.text).where(
        fulltext.c.paper_id == paper_id, fulltext.c.status == "ok")).scalar()
    return decompress(blob) if blob is not None else None


def status_counts(conn: Connection) -> dict:
    """`{"ok", "failed", "pending", "reasons"}` for `papersift status`: pending counts every
    paper without ok or failed text (no row, queued, stale); reasons count failed papers."""
    total = conn.execute(select(func.count()).select_from(papers)).scalar() or 0
    by_status = dict(conn.execute(select(fulltext.c.status, func.count()).group_by(fulltext.c.status)).all())
    reasons = dict(conn.execute(select(fulltext.c.reason, func.count()).where(fulltext.c.status == "failed")
                                .group_by(fulltext.c.reason).order_by(func.count().desc())).all())
    ok, failed = by_status.get("ok", 0), by_status.get("failed", 0)
    return {"ok": ok, "failed": failed, "pending": max(0, total - ok - failed),
            "reasons": {str(k): v for k, v in reasons.items()}}
