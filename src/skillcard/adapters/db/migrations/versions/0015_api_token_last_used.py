"""API tokens say when they were last used

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 14:30:00.000000

A user listing their tokens needs to tell a token in use from a forgotten one before revoking
it. ``last_used_at`` is written at most once a minute per token (services/accounts/api_tokens.py),
so a
busy client does not turn every request into a write. Tokens made before this have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as api_tokens:
        api_tokens.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as api_tokens:
        api_tokens.drop_column("last_used_at")
