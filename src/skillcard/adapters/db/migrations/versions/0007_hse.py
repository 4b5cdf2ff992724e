"""the HSE assessment: item bank, attempts, answers, invigilation events, adjustments and
declared conflicts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hse_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("settings_data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_assessments")),
        sa.UniqueConstraint("code", name=op.f("uq_hse_assessments_code")),
    )
    op.create_table(
        "hse_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("stem", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_items")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_hse_items_code_version")),
    )
    op.create_index("ix_hse_items_status_topic", "hse_items", ["status", "topic"], unique=False)
    op.create_table(
        "hse_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), nullable=False),
        sa.Column("reader", sa.Boolean(), nullable=False),
        sa.Column("large_text", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("granted_by", sa.String(length=254), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_hse_adjustments_cardholder_id_cardholders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_adjustments")),
        sa.UniqueConstraint("cardholder_id", name=op.f("uq_hse_adjustments_cardholder_id")),
    )
    op.create_table(
        "hse_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), nullable=False),
        sa.Column("reader", sa.Boolean(), nullable=False),
        sa.Column("large_text", sa.Boolean(), nullable=False),
        sa.Column("id_photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("face_photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_seq", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("out_of", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("failed_by_violation", sa.Boolean(), nullable=False),
        sa.Column("attention_token", sa.String(length=64), nullable=True),
        sa.Column("attention_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_reviewer", sa.String(length=254), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["hse_assessments.id"],
            name=op.f("fk_hse_attempts_assessment_id_hse_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_hse_attempts_cardholder_id_cardholders"),
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_hse_attempts_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_attempts")),
    )
    op.create_index(
        op.f("ix_hse_attempts_cardholder_id"), "hse_attempts", ["cardholder_id"], unique=False
    )
    op.create_index(
        "ix_hse_attempts_scheme_id_state", "hse_attempts", ["scheme_id", "state"], unique=False
    )
    op.create_table(
        "hse_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["hse_attempts.id"], name=op.f("fk_hse_answers_attempt_id_hse_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["hse_items.id"], name=op.f("fk_hse_answers_item_id_hse_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_answers")),
        sa.UniqueConstraint(
            "attempt_id", "item_id", name=op.f("uq_hse_answers_attempt_id_item_id")
        ),
    )
    op.create_table(
        "hse_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invigilator_user_id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("relationship", sa.String(length=100), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_hse_conflicts_cardholder_id_cardholders"),
        ),
        sa.ForeignKeyConstraint(
            ["invigilator_user_id"],
            ["users.id"],
            name=op.f("fk_hse_conflicts_invigilator_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_conflicts")),
        sa.UniqueConstraint(
            "invigilator_user_id",
            "cardholder_id",
            name=op.f("uq_hse_conflicts_invigilator_user_id_cardholder_id"),
        ),
    )
    op.create_table(
        "hse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("violation", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=True),
        sa.Column("faces", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["hse_attempts.id"], name=op.f("fk_hse_events_attempt_id_hse_attempts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hse_events")),
    )
    op.create_index(op.f("ix_hse_events_attempt_id"), "hse_events", ["attempt_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hse_events_attempt_id"), table_name="hse_events")
    op.drop_table("hse_events")
    op.drop_table("hse_conflicts")
    op.drop_table("hse_answers")
    op.drop_index("ix_hse_attempts_scheme_id_state", table_name="hse_attempts")
    op.drop_index(op.f("ix_hse_attempts_cardholder_id"), table_name="hse_attempts")
    op.drop_table("hse_attempts")
    op.drop_table("hse_adjustments")
    op.drop_index("ix_hse_items_status_topic", table_name="hse_items")
    op.drop_table("hse_items")
    op.drop_table("hse_assessments")
