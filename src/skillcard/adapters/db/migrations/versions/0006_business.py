"""Business Check: businesses, sign-up links, workforce, business checks, bulk jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "businesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company_number", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_businesses")),
        sa.UniqueConstraint("company_number", name=op.f("uq_businesses_company_number")),
    )
    op.create_table(
        "business_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _fk("business_tokens", "user_id", "users"),
        _fk("business_tokens", "business_id", "businesses"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_business_tokens")),
    )
    op.create_index("ix_business_tokens_user_id", "business_tokens", ["user_id"])
    op.create_table(
        "workforce_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("trade", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("subcontractor", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=254), nullable=False),
        sa.Column("alerted_state", sa.String(length=24), nullable=False),
        _fk("workforce_entries", "business_id", "businesses"),
        _fk("workforce_entries", "card_id", "cards"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workforce_entries")),
        sa.UniqueConstraint(
            "business_id", "card_id", name=op.f("uq_workforce_entries_business_id_card_id")
        ),
    )
    op.create_index("ix_workforce_entries_card_id", "workforce_entries", ["card_id"])
    op.create_table(
        "business_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("checker", sa.String(length=254), nullable=False),
        sa.Column("checker_user_id", sa.Integer(), nullable=True),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("card_number", sa.String(length=40), nullable=False),
        sa.Column("holder_name", sa.String(length=210), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("face_confirmed", sa.Boolean(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bulk_job_id", sa.String(length=36), nullable=True),
        _fk("business_checks", "business_id", "businesses"),
        _fk("business_checks", "checker_user_id", "users"),
        _fk("business_checks", "card_id", "cards"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_checks")),
    )
    op.create_index(
        "ix_business_checks_business_id_checked_at",
        "business_checks",
        ["business_id", "checked_at"],
    )
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("valid_rows", sa.Integer(), nullable=False),
        sa.Column("error_rows", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        _fk("bulk_jobs", "business_id", "businesses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    op.create_index("ix_bulk_jobs_business_id", "bulk_jobs", ["business_id"])


def downgrade() -> None:
    op.drop_index("ix_bulk_jobs_business_id", table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
    op.drop_index("ix_business_checks_business_id_checked_at", table_name="business_checks")
    op.drop_table("business_checks")
    op.drop_index("ix_workforce_entries_card_id", table_name="workforce_entries")
    op.drop_table("workforce_entries")
    op.drop_index("ix_business_tokens_user_id", table_name="business_tokens")
    op.drop_table("business_tokens")
    op.drop_table("businesses")
