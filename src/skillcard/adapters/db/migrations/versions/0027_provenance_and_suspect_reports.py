"""Where each card came from (card_provenance), and checkers' reports of suspect cards

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 21:00:00.000000

A card records the assessment, test centre, training provider or import it came through, so
that a scheme can revoke every card of a fraudulent source in one step. A checker who thinks a
card is wrong reports it; the issuing scheme's admins work the reports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_provenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_card_provenance_card_id_cards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_provenance")),
        sa.UniqueConstraint(
            "card_id", "kind", "reference", name=op.f("uq_card_provenance_card_id_kind_reference")
        ),
    )
    op.create_index(
        op.f("ix_card_provenance_card_id"), "card_provenance", ["card_id"], unique=False
    )
    op.create_index(
        "ix_card_provenance_kind_reference", "card_provenance", ["kind", "reference"], unique=False
    )
    op.create_table(
        "suspect_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=20), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("card_number", sa.String(length=20), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("details", sa.String(length=1000), nullable=False),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=False),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_suspect_reports_scheme_id_schemes")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_suspect_reports_card_id_cards")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["users.id"],
            name=op.f("fk_suspect_reports_reporter_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suspect_reports")),
        sa.UniqueConstraint("receipt", name=op.f("uq_suspect_reports_receipt")),
    )
    op.create_index(
        "ix_suspect_reports_scheme_id_state_id",
        "suspect_reports",
        ["scheme_id", "state", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_suspect_reports_scheme_id_state_id", table_name="suspect_reports")
    op.drop_table("suspect_reports")
    op.drop_index("ix_card_provenance_kind_reference", table_name="card_provenance")
    op.drop_index(op.f("ix_card_provenance_card_id"), table_name="card_provenance")
    op.drop_table("card_provenance")
