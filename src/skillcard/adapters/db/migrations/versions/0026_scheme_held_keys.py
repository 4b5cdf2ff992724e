"""Signing keys a scheme holds itself

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 21:00:00.000000

A scheme may keep its private key in its own system and register only the public half: such a
key has no sealed private key (``private_key_encrypted`` NULL) and ``holder`` 'scheme'. Every
key stored before is the hub's to hold. The one-current-key rule now binds only hub-held keys:
a scheme rotating its own keys has two current ones while their windows overlap.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

INDEX = "uq_signing_keys_one_current"
HUB_INDEX = "uq_signing_keys_one_current_hub"


def upgrade() -> None:
    # Both partial indexes are dropped and made again: SQLite's copy of the table (batch mode)
    # must not have to carry their WHERE clauses across.
    op.drop_index(HUB_INDEX, table_name="signing_keys")
    op.drop_index(INDEX, table_name="signing_keys")
    with op.batch_alter_table("signing_keys") as keys:
        keys.add_column(
            sa.Column("holder", sa.String(length=8), nullable=False, server_default="hub")
        )
        keys.alter_column("private_key_encrypted", existing_type=sa.LargeBinary(), nullable=True)
    current_hub_held = sa.text("status = 'current' AND holder = 'hub'")
    op.create_index(
        INDEX, "signing_keys", ["scheme_id"], unique=True,
        postgresql_where=current_hub_held, sqlite_where=current_hub_held,
    )  # fmt: skip
    _hub_index()


def _hub_index() -> None:
    hub = sa.text("status = 'current' AND scheme_id IS NULL")
    op.create_index(
        HUB_INDEX, "signing_keys", ["status"], unique=True,
        postgresql_where=hub, sqlite_where=hub,
    )  # fmt: skip


def downgrade() -> None:
    # A scheme's own keys cannot go back into a table that needs every private key: they go.
    op.execute("DELETE FROM signing_keys WHERE holder = 'scheme'")
    op.drop_index(HUB_INDEX, table_name="signing_keys")
    op.drop_index(INDEX, table_name="signing_keys")
    with op.batch_alter_table("signing_keys") as keys:
        keys.alter_column("private_key_encrypted", existing_type=sa.LargeBinary(), nullable=False)
        keys.drop_column("holder")
    current = sa.text("status = 'current'")
    op.create_index(
        INDEX, "signing_keys", ["scheme_id"], unique=True,
        postgresql_where=current, sqlite_where=current,
    )  # fmt: skip
    _hub_index()
