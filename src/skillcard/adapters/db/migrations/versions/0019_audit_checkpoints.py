"""The hub's signed checkpoints of the audit chain

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 15:00:00.000000

Whoever can write to the database could rewrite an audit row and recompute every later hash.
A checkpoint is the hub's signature over the chain's head (sequence, hash, time), published and
exported so that copies kept elsewhere show such a rewrite. One checkpoint per sequence number.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_checkpoints_seq")),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
