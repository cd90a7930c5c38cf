"""Look-ups that match entries of an imported library file to papers in the store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from store.schema import papers

BATCH = 500


def ids_by_doi(conn: Connection, dois: Iterable[str]) -> dict[str, str]:
    """Lower-cased DOI -> paper id, for papers whose journal DOI is one of these."""
    wanted = sorted({d.lower() for d in dois if d})
    out: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start:start + BATCH]
        rows = conn.execute(select(papers.c.id, func.lower(papers.c.doi).label("doi"))
                            .where(func.lower(papers.c.doi).in_(chunk)))
        out.update({r.doi: r.id for r in rows})
    return out


def titles_of(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Paper id -> title for the ids in the store."""
    ids = list(dict.fromkeys(ids))
    out: dict[str, str] = {}
    for start in range(0, len(ids), BATCH):
        rows = conn.execute(select(papers.c.id, papers.c.title)
                            .where(papers.c.id.in_(ids[start:start + BATCH])))
        out.update({r.id: r.title for r in rows})
    return out


def all_titles(conn: Connection) -> Iterator[tuple[str, str]]:
    """(id, title) of every paper, streamed: title matching before the first index build."""
    with conn.execute(select(papers.c.id, papers.c.title).execution_options(yield_per=5000)) as result:
        for row in result:
            yield row.id, row.title
