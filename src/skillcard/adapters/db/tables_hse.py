"""Tables of the HSE assessment: item bank, attempts, invigilation and review.

On the one schema's metadata (see tables.py); migrations are written to match.
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _id, metadata

# An assessment and its settings (question count, pass mark, topic counts...) as JSON: a
# scheme changes them as data, never in code.
hse_assessments = sa.Table(
    "hse_assessments",
    metadata,
    _id(),
    sa.Column("code", sa.String(40), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("settings_data", sa.JSON, nullable=False),
)

# One row per version of an item: an attempt points at the row (the version) it was given.
hse_items = sa.Table(
    "hse_items",
    metadata,
    _id(),
    sa.Column("code", sa.String(60), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("topic", sa.String(60), nullable=False),
    sa.Column("stem", sa.Text, nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("key", sa.Integer, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("language", sa.String(10), nullable=False, default="en"),
    sa.UniqueConstraint("code", "version"),
    sa.Index("ix_hse_items_status_topic", "status", "topic"),
)

hse_attempts = sa.Table(
    "hse_attempts",
    metadata,
    _id(),
    sa.Column("assessment_id", sa.ForeignKey("hse_assessments.id"), nullable=False),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("form", sa.JSON, nullable=False),
    sa.Column("language", sa.String(10), nullable=False, default="en"),
    sa.Column("extra_minutes", sa.Integer, nullable=False, default=0),
    sa.Column("reader", sa.Boolean, nullable=False, default=False),
    sa.Column("large_text", sa.Boolean, nullable=False, default=False),
    sa.Column("id_photo_sha256", sa.String(64)),
    sa.Column("face_photo_sha256", sa.String(64)),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("started_at", AwareDateTime()),
    sa.Column("deadline", AwareDateTime()),
    sa.Column("submitted_at", AwareDateTime()),
    sa.Column("answer_seq", sa.Integer, nullable=False, default=0),
    sa.Column("score", sa.Integer),
    sa.Column("out_of", sa.Integer),
    sa.Column("passed", sa.Boolean),
    sa.Column("violations", sa.Integer, nullable=False, default=0),
    sa.Column("failed_by_violation", sa.Boolean, nullable=False, default=False),
    sa.Column("attention_token", sa.String(64)),
    sa.Column("attention_due", AwareDateTime()),
    sa.Column("first_reviewer", sa.String(254)),
    sa.Column("decided_by", sa.String(254)),
    sa.Column("decided_at", AwareDateTime()),
    sa.Column("decision_reason", sa.Text, nullable=False, default=""),
    # When its pictures were deleted, the appeal window after the decision having passed.
    sa.Column("pictures_purged_at", AwareDateTime()),
    sa.Index("ix_hse_attempts_scheme_id_state", "scheme_id", "state"),
)

# The answer saved on every click: one row per question answered, updated in place.
hse_answers = sa.Table(
    "hse_answers",
    metadata,
    _id(),
    sa.Column("attempt_id", sa.ForeignKey("hse_attempts.id"), nullable=False),
    sa.Column("item_id", sa.ForeignKey("hse_items.id"), nullable=False),
    sa.Column("choice", sa.Integer),  # the place on screen; None: the answer was cleared
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("answered_at", AwareDateTime(), nullable=False),
    sa.UniqueConstraint("attempt_id", "item_id"),
)

# The invigilation timeline: what the page reported and what the server saw.
hse_events = sa.Table(
    "hse_events",
    metadata,
    _id(),
    sa.Column("attempt_id", sa.ForeignKey("hse_attempts.id"), nullable=False, index=True),
    sa.Column("occurred_at", AwareDateTime(), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("violation", sa.Boolean, nullable=False, default=False),
    sa.Column("detail", sa.String(500), nullable=False, default=""),
    sa.Column("snapshot_sha256", sa.String(64)),
    sa.Column("faces", sa.Integer),
)

hse_adjustments = sa.Table(
    "hse_adjustments",
    metadata,
    _id(),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, unique=True),
    sa.Column("extra_minutes", sa.Integer, nullable=False, default=0),
    sa.Column("reader", sa.Boolean, nullable=False, default=False),
    sa.Column("large_text", sa.Boolean, nullable=False, default=False),
    sa.Column("language", sa.String(10), nullable=False, default="en"),
    sa.Column("granted_by", sa.String(254), nullable=False),
    sa.Column("granted_at", AwareDateTime(), nullable=False),
)

# An invigilator's declared interest in a candidate: they may not review that candidate.
hse_conflicts = sa.Table(
    "hse_conflicts",
    metadata,
    _id(),
    sa.Column("invigilator_user_id", sa.ForeignKey("users.id"), nullable=False),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False),
    sa.Column("relationship", sa.String(100), nullable=False, default=""),
    sa.Column("declared_at", AwareDateTime(), nullable=False),
    sa.UniqueConstraint("invigilator_user_id", "cardholder_id"),
)
