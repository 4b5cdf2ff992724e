"""MyCard: CPD, applications and eligibility

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CPD_TYPES = (
    "training_course",
    "work_experience",
    "academic_study",
    "volunteering",
    "event_or_webinar",
    "self_study",
    "toolbox_talk",
    "site_induction",
)
APP_STATES = (
    "draft",
    "received",
    "verifying",
    "verified",
    "referred",
    "rejected",
    "card_issued",
)
CASE_STATES = ("sampled", "more_requested", "answered", "accepted")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def _fk(table: str, column: str, target: str, key: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "cpd_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("activity_on", sa.Date(), nullable=False),
        sa.Column("activity_type", _enum(CPD_TYPES, "cpdtype"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("learned", sa.Text(), nullable=False),
        sa.Column("reflection", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_by", sa.String(length=254), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "minutes > 0 AND minutes <= 1440", name=op.f("ck_cpd_records_minutes_in_a_day")
        ),
        _fk("cpd_records", "cardholder_id", "cardholders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpd_records")),
    )
    op.create_index(
        "ix_cpd_records_cardholder_id_activity_on", "cpd_records", ["cardholder_id", "activity_on"]
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("card_type_id", sa.Integer(), nullable=False),
        sa.Column("occupation_code", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("state", _enum(APP_STATES, "appstate"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=254), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("renews_card_id", sa.Integer(), nullable=True),
        _fk("applications", "cardholder_id", "cardholders"),
        _fk("applications", "scheme_id", "schemes"),
        _fk("applications", "card_type_id", "card_types"),
        _fk("applications", "card_id", "cards"),
        _fk("applications", "renews_card_id", "cards"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index("ix_applications_cardholder_id", "applications", ["cardholder_id"])
    op.create_index("ix_applications_scheme_id_state", "applications", ["scheme_id", "state"])
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cpd_record_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("held_qualification_id", sa.Integer(), nullable=True),
        _fk("evidence_files", "cardholder_id", "cardholders"),
        _fk("evidence_files", "cpd_record_id", "cpd_records"),
        _fk("evidence_files", "application_id", "applications"),
        _fk("evidence_files", "held_qualification_id", "held_qualifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
    )
    for column in ("cardholder_id", "sha256", "cpd_record_id", "application_id"):
        op.create_index(f"ix_evidence_files_{column}", "evidence_files", [column])
    op.create_index(
        "ix_evidence_files_held_qualification_id", "evidence_files", ["held_qualification_id"]
    )
    op.create_table(
        "qualification_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_qualification_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reviewed_by", sa.String(length=254), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("qualification_reviews", "held_qualification_id", "held_qualifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification_reviews")),
        sa.UniqueConstraint(
            "held_qualification_id",
            name=op.f("uq_qualification_reviews_held_qualification_id"),
        ),
    )
    op.create_table(
        "cpd_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("share_percent", sa.Float(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sampled_by", sa.String(length=254), nullable=False),
        _fk("cpd_audits", "scheme_id", "schemes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpd_audits")),
        sa.UniqueConstraint("scheme_id", "year", name=op.f("uq_cpd_audits_scheme_id_year")),
    )
    op.create_table(
        "cpd_audit_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("state", _enum(CASE_STATES, "casestate"), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        _fk("cpd_audit_cases", "audit_id", "cpd_audits"),
        _fk("cpd_audit_cases", "cardholder_id", "cardholders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpd_audit_cases")),
        sa.UniqueConstraint(
            "audit_id", "cardholder_id", name=op.f("uq_cpd_audit_cases_audit_id_cardholder_id")
        ),
    )
    op.create_index("ix_cpd_audit_cases_cardholder_id", "cpd_audit_cases", ["cardholder_id"])


def downgrade() -> None:
    op.drop_index("ix_cpd_audit_cases_cardholder_id", table_name="cpd_audit_cases")
    op.drop_table("cpd_audit_cases")
    op.drop_table("cpd_audits")
    op.drop_table("qualification_reviews")
    for column in ("held_qualification_id", "application_id", "cpd_record_id", "sha256"):
        op.drop_index(f"ix_evidence_files_{column}", table_name="evidence_files")
    op.drop_index("ix_evidence_files_cardholder_id", table_name="evidence_files")
    op.drop_table("evidence_files")
    op.drop_index("ix_applications_scheme_id_state", table_name="applications")
    op.drop_index("ix_applications_cardholder_id", table_name="applications")
    op.drop_table("applications")
    op.drop_index("ix_cpd_records_cardholder_id_activity_on", table_name="cpd_records")
    op.drop_table("cpd_records")
