"""paper_author_names: each author's folded last name on each paper, filled in for the papers
already stored.

Author pages, follows, the Following feed and digests find papers by an author's last name.
That was a LIKE over every paper's folded author list, newest first until 2,000 matched: an
author with few papers read the whole table (0.4 s at 2.9M papers, per followed author).
Now the last name is one range of this table's key, newest first.

Revision ID: 0010
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from alembic import op

from domain.names import last_names
from store import schema

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 20_000
log = logging.getLogger("papersift.store")


def upgrade() -> None:
    conn = op.get_bind()
    names = schema.paper_author_names
    names.create(conn, checkfirst=True)
    if conn.execute(sa.select(names.c.paper_id).limit(1)).first() is not None:
        return          # filled (a fresh store's papers arrive after this step)
    papers = schema.papers
    after, done = "", 0
    while batch := conn.execute(
            sa.select(papers.c.id, papers.c.published, papers.c.authors)
            .where(papers.c.id > after).order_by(papers.c.id).limit(BATCH)).all():
        rows = [{"last_name": name, "published": published, "paper_id": pid}
                for pid, published, authors in batch for name in last_names(json.loads(authors))]
        if rows:
            conn.execute(names.insert(), rows)
        after, done = batch[-1].id, done + len(batch)
        if done % (10 * BATCH) < BATCH:
            log.info("author names: %d papers indexed", done)


def downgrade() -> None:
    op.drop_table("paper_author_names")
