"""Texts for the trend phrase scan: the index keeps no raw text, so a phrase of three or
more words is checked against the texts of its candidate papers, read here in batches
(ingest/indexing.py joins them into the text the index read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from store.fulltext import decompress
from store.schema import fulltext, papers

BATCH = 500


class PaperText(NamedTuple):
    title: str
    abstract: str
    fulltext: str | None


def paper_texts(conn: Connection, ids: Sequence[str]) -> dict[str, PaperText]:
    """Title, abstract and extracted full text (None when there is none) of the given papers."""
    query = select(papers.c.id, papers.c.title, papers.c.abstract, fulltext.c.text).select_from(
        papers.outerjoin(fulltext, and_(fulltext.c.paper_id == papers.c.id, fulltext.c.status == "ok")))
    out: dict[str, PaperText] = {}
    for start in range(0, len(ids), BATCH):
        batch = list(ids[start:start + BATCH])
        for row in conn.execute(query.where(papers.c.id.in_(batch))):
            text = decompress(row.text) if row.text is not None else None
            out[row.id] = PaperText(row.title, row.abstract, text)
    return out
