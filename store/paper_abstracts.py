"""Titles and abstracts of given papers, without their full texts: what paper embeddings
encode (ingest/embeddings.py reads a batch at a time, so memory stays bounded)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection

from store.schema import papers

BATCH = 500


def titles_and_abstracts(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Paper id -> (title, abstract) for the ids that are stored."""
    out: dict[str, tuple[str, str]] = {}
    query = select(papers.c.id, papers.c.title, papers.c.abstract)
    for start in range(0, len(ids), BATCH):
        for row in conn.execute(query.where(papers.c.id.in_(list(ids[start:start + BATCH])))):
            out[row.id] = (row.title, row.abstract)
    return out
