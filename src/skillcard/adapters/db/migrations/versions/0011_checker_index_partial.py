"""The check log's index by checker holds signed-in checkers only

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:30:00.000000

Most checks are anonymous (no ``checker_user_id``); each still put a NULL entry in the index
by checker, which nothing reads: a look-up by checker names one. At thousands of checks a
second at a large site's gate, those entries were most of the index and a write apiece.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEX = "ix_checks_checker_user_id_checked_at"


def upgrade() -> None:
    signed_in = sa.text("checker_user_id IS NOT NULL")
    op.drop_index(INDEX, table_name="checks")
    op.create_index(
        INDEX, "checks", ["checker_user_id", "checked_at"],
        postgresql_where=signed_in, sqlite_where=signed_in,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index(INDEX, table_name="checks")
    op.create_index(INDEX, "checks", ["checker_user_id", "checked_at"])
