"""The whole schema of store/schema.py, created where missing.

Revision ID: 0001 (step 1 of the runner papersift used before Alembic)
"""

from __future__ import annotations

from alembic import op

from store import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema.metadata.create_all(op.get_bind(), checkfirst=True)
