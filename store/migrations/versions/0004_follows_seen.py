"""Followed authors and seen marks: the `follows` and `seen` tables.

Revision ID: 0004 (step 4 of the runner papersift used before Alembic)
"""

from __future__ import annotations

from alembic import op

from store import schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema.metadata.create_all(op.get_bind(), tables=[schema.follows, schema.seen], checkfirst=True)
