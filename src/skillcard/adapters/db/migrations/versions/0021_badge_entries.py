"""Each exported Open Badge's entry in the hub's Bitstring Status List

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 17:30:00.000000

An achievement a holder exports as an Open Badges 3.0 credential (issue 18) keeps one random
entry in the hub's revocation list and one public id, whatever the number of exports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "badge_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("claimed_minutes", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_badge_entries_cardholder_id_cardholders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_entries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_badge_entries_public_id")),
        sa.UniqueConstraint("status_index", name=op.f("uq_badge_entries_status_index")),
        sa.UniqueConstraint(
            "cardholder_id",
            "kind",
            "subject",
            name=op.f("uq_badge_entries_cardholder_id_kind_subject"),
        ),
    )


def downgrade() -> None:
    op.drop_table("badge_entries")
