"""Tables of Business Check: businesses, sign-up links, workforce, checks, bulk jobs.

On the one schema's metadata (see tables.py); migration 0006 is written to match. Methods,
outcomes and states are plain strings here (their words are the domain's enums).
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _id, metadata

businesses = sa.Table(
    "businesses",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("company_number", sa.String(8), nullable=False, unique=True),
    sa.Column("address", sa.String(500), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("confirmed", sa.Boolean, nullable=False, default=False),
    sa.Column("approved", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("webhook_url", sa.String(500)),
    sa.Column("webhook_secret", sa.String(100)),
)

# One-use links sent by e-mail: confirm a registration, accept an invitation. Only the
# SHA-256 of the link's secret is stored.
business_tokens = sa.Table(
    "business_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("business_id", sa.ForeignKey("businesses.id"), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("expires_at", AwareDateTime(), nullable=False),
    sa.Column("used_at", AwareDateTime()),
)

workforce_entries = sa.Table(
    "workforce_entries",
    metadata,
    _id(),
    sa.Column("business_id", sa.ForeignKey("businesses.id"), nullable=False),
    sa.Column("card_id", sa.ForeignKey("cards.id"), nullable=False, index=True),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    sa.Column("trade", sa.String(200), nullable=False, default=""),
    sa.Column("site", sa.String(200), nullable=False, default=""),
    sa.Column("subcontractor", sa.String(200), nullable=False, default=""),
    sa.Column("added_at", AwareDateTime(), nullable=False),
    sa.Column("added_by", sa.String(254), nullable=False),
    sa.Column("alerted_state", sa.String(24), nullable=False, default=""),
    sa.UniqueConstraint("business_id", "card_id"),
)

# A business's own check history: kept for its audits, whatever the public check log holds.
business_checks = sa.Table(
    "business_checks",
    metadata,
    _id(),
    sa.Column("business_id", sa.ForeignKey("businesses.id"), nullable=False),
    sa.Column("checked_at", AwareDateTime(), nullable=False),
    sa.Column("method", sa.String(12), nullable=False),
    sa.Column("outcome", sa.String(24), nullable=False),
    sa.Column("checker", sa.String(254), nullable=False),
    sa.Column("checker_user_id", sa.ForeignKey("users.id")),
    sa.Column("scheme", sa.String(20), nullable=False, default=""),
    sa.Column("card_number", sa.String(40), nullable=False, default=""),
    sa.Column("holder_name", sa.String(210), nullable=False, default=""),
    sa.Column("card_id", sa.ForeignKey("cards.id")),
    sa.Column("site", sa.String(200), nullable=False, default=""),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("note", sa.String(1000), nullable=False, default=""),
    sa.Column("face_confirmed", sa.Boolean),
    sa.Column("synced_at", AwareDateTime()),
    sa.Column("bulk_job_id", sa.String(36)),
    sa.Index("ix_business_checks_business_id_checked_at", "business_id", "checked_at"),
)

bulk_jobs = sa.Table(
    "bulk_jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("business_id", sa.ForeignKey("businesses.id"), nullable=False, index=True),
    sa.Column("created_by", sa.String(254), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("total_rows", sa.Integer, nullable=False, default=0),
    sa.Column("done_rows", sa.Integer, nullable=False, default=0),
    sa.Column("valid_rows", sa.Integer, nullable=False, default=0),
    sa.Column("error_rows", sa.Integer, nullable=False, default=0),
    sa.Column("message", sa.String(500), nullable=False, default=""),
    sa.Column("finished_at", AwareDateTime()),
    sa.Column("runner", sa.String(100), nullable=False, server_default=""),
)

# Each signed body posted (or still to post) to a business's webhook, with what happened at
# its last attempt, for the business to see, and when it is tried again.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    _id(),
    sa.Column("business_id", sa.ForeignKey("businesses.id")),
    # A scheme's delivery (its cards' changes) has a scheme and no business (migration 0025).
    sa.Column("scheme_id", sa.ForeignKey("schemes.id")),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", AwareDateTime()),
    sa.Column("last_attempt_at", AwareDateTime()),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("delivered_at", AwareDateTime()),
    sa.Index("ix_webhook_deliveries_business_id_id", "business_id", "id"),
    sa.Index("ix_webhook_deliveries_scheme_id_id", "scheme_id", "id"),
    sa.Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
)
