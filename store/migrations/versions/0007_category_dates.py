"""paper_categories.published and .latest: each category row carries its paper's first-version
date and latest version's date, with ix_paper_categories_recent (category, latest, paper_id).

Browsing a category within a window (e.g. cs.LG over the last year) checked the window's
papers one by one against the category, or the category's against the window: work that grows
with the window, ten times more at a million papers. With the dates beside the category, the
page and its count are one range of one index (store/category_window.py). Papers whose latest
date is before their first (malformed dates) are found through a partial index.

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import CreateIndex, DropIndex

from store import schema

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = (schema.ix_paper_categories_recent, schema.ix_paper_categories_misdated)


def upgrade() -> None:
    conn = op.get_bind()
    present = {c["name"] for c in sa.inspect(conn).get_columns("paper_categories")}
    for name in ("published", "latest"):
        if name not in present:
            op.add_column("paper_categories", sa.Column(name, sa.DateTime))
    cats, papers = schema.paper_categories, schema.papers

    def of_paper(value):
        return sa.select(value).where(papers.c.id == cats.c.paper_id).scalar_subquery()

    conn.execute(cats.update().where(cats.c.latest.is_(None)).values(
        published=of_paper(papers.c.published),
        latest=of_paper(sa.func.coalesce(papers.c.updated, papers.c.published))))
    for index in INDEXES:
        conn.execute(CreateIndex(index, if_not_exists=True))


def downgrade() -> None:
    conn = op.get_bind()
    for index in INDEXES:
        conn.execute(DropIndex(index, if_exists=True))
    for name in ("latest", "published"):
        conn.execute(sa.text(f"ALTER TABLE paper_categories DROP COLUMN {name}"))
