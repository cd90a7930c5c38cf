"""ix_paper_categories_new (category, published, paper_id): a category's new papers in one range;
ix_papers_id_version (id, version): each checked for its version from an index.

A category feed and browse's "new only" list a category's papers never revised, by their
first-version date. Over `papers` that was a walk of every paper newest first, each checked
for the category, or the category's ids collected and sorted, and a count of either: at 2.9M
papers a feed took 2-8 s. With these indexes the page is read in order from the category's
range, each paper's version read from ix_papers_id_version (not its row, which a count of
2,000 papers would read from all over the table), and stops with the page.

Revision ID: 0009
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.schema import CreateIndex, DropIndex

from store import schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


INDEXES = (schema.ix_paper_categories_new, schema.ix_papers_id_version)


def upgrade() -> None:
    for index in INDEXES:
        op.get_bind().execute(CreateIndex(index, if_not_exists=True))


def downgrade() -> None:
    for index in INDEXES:
        op.get_bind().execute(DropIndex(index, if_exists=True))
