"""papers.authors_folded (names without accents or case, for author look-ups), filled in for
the papers already stored.

Revision ID: 0005 (step 5 of the runner papersift used before Alembic)
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from domain.names import folded_authors
from store import schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if "authors_folded" not in {c["name"] for c in sa.inspect(conn).get_columns("papers")}:
        op.add_column("papers", sa.Column("authors_folded", sa.Text))
    papers = schema.papers
    todo = sa.select(papers.c.id, papers.c.authors).where(papers.c.authors_folded.is_(None))
    while batch := conn.execute(todo.limit(5000)).all():
        conn.execute(sa.update(papers).where(papers.c.id == sa.bindparam("pid"))
                     .values(authors_folded=sa.bindparam("folded")),
                     [{"pid": pid, "folded": folded_authors(json.loads(authors))} for pid, authors in batch])
