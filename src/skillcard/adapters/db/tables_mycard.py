"""Tables of MyCard: CPD records and evidence, qualifications, eligibility, PQP and applications.

On the one schema's metadata (see tables.py); migrations are written to match.
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _enum, _id, metadata
from skillcard.domain.applications import AppState, CaseState
from skillcard.domain.cpd import CpdType

cpd_records = sa.Table(
    "cpd_records",
    metadata,
    _id(),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False),
    sa.Column("activity_on", sa.Date, nullable=False),
    sa.Column("activity_type", _enum(CpdType), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(200), nullable=False, default=""),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("learned", sa.Text, nullable=False, default=""),
    sa.Column("reflection", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("recorded_at", AwareDateTime(), nullable=False),
    sa.Column("verified_by", sa.String(254), nullable=False, default=""),
    sa.Column("verified_at", AwareDateTime()),
    sa.CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_in_a_day"),
    # A holder's record by date: progress, the chart and the exports read it this way.
    sa.Index("ix_cpd_records_cardholder_id_activity_on", "cardholder_id", "activity_on"),
)

# Applications for a card; declared before evidence_files, which may point at one.
applications = sa.Table(
    "applications",
    metadata,
    _id(),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("card_type_id", sa.ForeignKey("card_types.id"), nullable=False),
    sa.Column("occupation_code", sa.String(60), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("state", _enum(AppState), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("updated_at", AwareDateTime()),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("decided_by", sa.String(254), nullable=False, default=""),
    sa.Column("card_id", sa.ForeignKey("cards.id")),
    sa.Column("renews_card_id", sa.ForeignKey("cards.id")),
    # The scheme admin's queue: a scheme's applications in a state, oldest first.
    sa.Index("ix_applications_scheme_id_state", "scheme_id", "state"),
)

evidence_files = sa.Table(
    "evidence_files",
    metadata,
    _id(),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("media_type", sa.String(40), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("uploaded_at", AwareDateTime(), nullable=False),
    sa.Column("cpd_record_id", sa.ForeignKey("cpd_records.id"), index=True),
    sa.Column("application_id", sa.ForeignKey("applications.id"), index=True),
    sa.Column("held_qualification_id", sa.ForeignKey("held_qualifications.id"), index=True),
)

qualification_reviews = sa.Table(
    "qualification_reviews",
    metadata,
    _id(),
    sa.Column(
        "held_qualification_id",
        sa.ForeignKey("held_qualifications.id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False, default=""),
    sa.Column("reviewed_by", sa.String(254), nullable=False, default=""),
    sa.Column("reviewed_at", AwareDateTime()),
)

cpd_audits = sa.Table(
    "cpd_audits",
    metadata,
    _id(),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("share_percent", sa.Float, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("sampled_at", AwareDateTime(), nullable=False),
    sa.Column("sampled_by", sa.String(254), nullable=False),
    sa.UniqueConstraint("scheme_id", "year"),
)

cpd_audit_cases = sa.Table(
    "cpd_audit_cases",
    metadata,
    _id(),
    sa.Column("audit_id", sa.ForeignKey("cpd_audits.id"), nullable=False),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("state", _enum(CaseState), nullable=False),
    sa.Column("request", sa.Text, nullable=False, default=""),
    sa.Column("answer", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", AwareDateTime()),
    sa.Column("updated_by", sa.String(254), nullable=False, default=""),
    sa.UniqueConstraint("audit_id", "cardholder_id"),
)
