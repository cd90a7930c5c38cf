"""ix_papers_id_dates: each paper's id with its first and latest dates, for browse windows.

Browsing a category within a window checks the window's dates of one paper after another
(the category's papers, or the window's for a common category). On PostgreSQL this index,
(id) INCLUDE (published, updated), answers those checks from the index alone instead of
reading each paper's row; on SQLite it is an index on id only (INCLUDE is PostgreSQL's):
SQLite's planner would scan a covering (id, published, updated) index from end to end for a
window rather than take a range of ix_papers_recent.

Revision ID: 0006
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.schema import CreateIndex, DropIndex

from store import schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS rather than checkfirst: reflecting the table's indexes warns of the
    # expression index ix_papers_recent
    op.get_bind().execute(CreateIndex(schema.ix_papers_id_dates, if_not_exists=True))


def downgrade() -> None:
    op.get_bind().execute(DropIndex(schema.ix_papers_id_dates, if_exists=True))
