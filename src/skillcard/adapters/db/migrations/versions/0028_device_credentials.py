"""Holder-bound phone cards: the device credentials schemes signed for holders' phones

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 21:00:00.000000

A holder's phone makes a P-256 key it never lets go of; the scheme signs a device credential
binding the card's claims to that key (domain/holder_binding.py). Each has its own entry in the
scheme's status list (a status_entries row of the card, listed until its period ends) and may
be revoked on its own, by the holder or an admin (issue 18, item 1).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("thumbprint", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=254), nullable=True),
        sa.Column("revoke_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_device_credentials_card_id_cards")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_device_credentials_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_credentials")),
    )
    op.create_index(
        op.f("ix_device_credentials_card_id"), "device_credentials", ["card_id"], unique=False
    )
    op.create_index(
        "ix_device_credentials_scheme_id_revoked",
        "device_credentials",
        ["scheme_id", "revoked_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_device_credentials_scheme_id_revoked", table_name="device_credentials")
    op.drop_index(op.f("ix_device_credentials_card_id"), table_name="device_credentials")
    op.drop_table("device_credentials")
