"""Index documents read from the store chunk by chunk, for a build in bounded memory.

The build pins the list of paper ids once and then reads the papers of each chunk by
id, so it never holds every paper's text at once. `snapshot` keeps every read of a
build in one database snapshot, so the chunks read late see the same store as the id
list and the fingerprint read first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, and_, select
from sqlalchemy.engine import Connection

from store.fulltext import decompress
from store.papers import IndexDoc
from store.schema import fulltext, papers

# SQLite allows 32,766 bound parameters; one chunk of ids stays well below
MAX_IDS_PER_QUERY = 10_000


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one state of the store until the block ends.

    PostgreSQL: a REPEATABLE READ transaction. SQLite (WAL): an explicit BEGIN, as the
    driver starts no transaction for reads, so each SELECT would see the latest commit.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, \
                conn.begin():
            yield conn
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()  # read only: nothing to keep


def index_doc_ids(conn: Connection) -> list[str]:
    """Every paper's id in index row order: oldest first, then by id."""
    query = select(papers.c.id).order_by(papers.c.published, papers.c.id)
    return list(conn.execute(query).scalars())


def index_docs_by_id(conn: Connection, ids: Sequence[str]) -> list[IndexDoc]:
    """The papers with these ids, in the order given, with extracted full text if any.

    Raises LookupError when a paper is missing (deleted since the ids were read outside
    a snapshot): a build must not silently drop rows.
    """
    query = select(papers.c.id, papers.c.published, papers.c.categories, papers.c.title,
                   papers.c.authors, papers.c.abstract, fulltext.c.text).select_from(
        papers.outerjoin(fulltext, and_(fulltext.c.paper_id == papers.c.id,
                                        fulltext.c.status == "ok")))
    found: dict[str, IndexDoc] = {}
    for start in range(0, len(ids), MAX_IDS_PER_QUERY):
        batch = list(ids[start:start + MAX_IDS_PER_QUERY])
        for row in conn.execute(query.where(papers.c.id.in_(batch))):
            text = decompress(row.text) if row.text is not None else None
            found[row.id] = IndexDoc(row.id, row.published, tuple(json.loads(row.categories)),
                                     row.title, tuple(json.loads(row.authors)), row.abstract,
                                     text)
    missing = [pid for pid in ids if pid not in found]
    if missing:
        raise LookupError(f"{len(missing)} papers left the store while the index was built, "
                          f"e.g. {missing[0]}")
    return [found[pid] for pid in ids]
