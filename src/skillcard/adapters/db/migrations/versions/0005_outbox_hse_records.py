"""the e-mail outbox and HSE records

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_messages_dedupe_key")),
    )
    op.create_index("ix_outbox_messages_sent_at_id", "outbox_messages", ["sent_at", "id"])
    op.create_index("ix_outbox_messages_to_address", "outbox_messages", ["to_address"])
    op.create_table(
        "hse_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("passed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("out_of", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=254), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_hse_records_cardholder_id_cardholders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_records")),
    )
    op.create_index("ix_hse_records_cardholder_id", "hse_records", ["cardholder_id"])


def downgrade() -> None:
    op.drop_index("ix_hse_records_cardholder_id", table_name="hse_records")
    op.drop_table("hse_records")
    op.drop_index("ix_outbox_messages_to_address", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_sent_at_id", table_name="outbox_messages")
    op.drop_table("outbox_messages")
