"""checks: the check log, shared rate-limit counters, and cards by scheme and status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "number",
                "qr_online",
                "qr_offline",
                name="checkmethod",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "valid",
                "expired",
                "not_yet_valid",
                "suspended",
                "revoked",
                "unknown_issuer",
                "bad_signature",
                "malformed",
                "stale_status",
                "no_match",
                name="checkoutcome",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("scheme_id", sa.Integer(), nullable=True),
        sa.Column("checker_user_id", sa.Integer(), nullable=True),
        sa.Column("client_key", sa.String(length=64), nullable=True),
        sa.Column("site", sa.String(length=200), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_checks_card_id_cards")),
        sa.ForeignKeyConstraint(
            ["checker_user_id"], ["users.id"], name=op.f("fk_checks_checker_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_checks_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
    )
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checks_card_id_checked_at", ["card_id", "checked_at"], unique=False
        )
        batch_op.create_index(
            "ix_checks_checker_user_id_checked_at",
            ["checker_user_id", "checked_at"],
            unique=False,
        )

    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_counters")),
    )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index("ix_cards_scheme_id_status", ["scheme_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_scheme_id_status")

    op.drop_table("rate_limit_counters")
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_index("ix_checks_checker_user_id_checked_at")
        batch_op.drop_index("ix_checks_card_id_checked_at")

    op.drop_table("checks")
