"""Server-side sessions (revocable logins) and confirmed digest addresses.

Revision ID: 0003 (step 3 of the runner papersift used before Alembic)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    schema.user_sessions.create(conn, checkfirst=True)
    if "email_confirmed" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}:
        op.add_column("users", sa.Column("email_confirmed", sa.DateTime))
