"""paper_author_words: each word of each paper's folded author names, filled in for the papers
already stored.

Author pages, follows, the Following feed and digests find papers by an author's last name.
That was a LIKE over every paper's folded author list, newest first until 2,000 matched: an
author with few papers read the whole table (0.4 s at 2.9M papers, per followed author).
Now the name's word is one range of this table's key, newest first.

Revision ID: 0010
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from domain.names import author_words
from store import schema

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 20_000
log = logging.getLogger("papersift.store")


def upgrade() -> None:
    conn = op.get_bind()
    words = schema.paper_author_words
    words.create(conn, checkfirst=True)
    if conn.execute(sa.select(words.c.paper_id).limit(1)).first() is not None:
        return          # filled (a fresh store's papers arrive after this step)
    papers = schema.papers
    after, done = "", 0
    while batch := conn.execute(
            sa.select(papers.c.id, papers.c.published, papers.c.authors_folded)
            .where(papers.c.id > after).order_by(papers.c.id).limit(BATCH)).all():
        rows = [{"word": w, "published": published, "paper_id": pid}
                for pid, published, folded in batch for w in author_words(folded or "")]
        if rows:
            conn.execute(words.insert(), rows)
        after, done = batch[-1].id, done + len(batch)
        if done % (10 * BATCH) < BATCH:
            log.info("author words: %d papers indexed", done)


def downgrade() -> None:
    op.drop_table("paper_author_words")
