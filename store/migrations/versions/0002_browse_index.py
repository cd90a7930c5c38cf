"""Browse's index on the latest version's date (papers listed newest first).

Revision ID: 0002 (step 2 of the runner papersift used before Alembic)
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.schema import CreateIndex

from store import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS, since reflection does not see expression indexes (checkfirst would miss it)
    op.get_bind().execute(CreateIndex(schema.ix_papers_recent, if_not_exists=True))
