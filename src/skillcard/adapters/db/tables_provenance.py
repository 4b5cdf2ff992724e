"""Tables of card provenance (where each card came from) and suspect card reports.

On the one schema's metadata (see tables.py); migration 0027 is written to match.
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _id, metadata

# Several rows per card: the assessment, the test centre, the training provider, the import.
card_provenance = sa.Table(
    "card_provenance",
    metadata,
    _id(),
    sa.Column("card_id", sa.ForeignKey("cards.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("reference", sa.String(60), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("recorded_at", AwareDateTime(), nullable=False),
    sa.UniqueConstraint("card_id", "kind", "reference"),
    # Revocation by provenance starts here: every card of one source.
    sa.Index("ix_card_provenance_kind_reference", "kind", "reference"),
)

# A checker's report of a card that looks wrong, worked by the issuing scheme's admins.
suspect_reports = sa.Table(
    "suspect_reports",
    metadata,
    _id(),
    sa.Column("receipt", sa.String(20), nullable=False, unique=True),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("card_number", sa.String(20), nullable=False),
    sa.Column("card_id", sa.ForeignKey("cards.id")),  # None: no such card on record
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("details", sa.String(1000), nullable=False, default=""),
    sa.Column("photo_sha256", sa.String(64)),
    sa.Column("reporter_user_id", sa.ForeignKey("users.id")),
    sa.Column("reported_at", AwareDateTime(), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("decided_at", AwareDateTime()),
    sa.Column("decided_by", sa.String(254), nullable=False, default=""),
    sa.Column("decision_note", sa.String(500), nullable=False, default=""),
    sa.Index("ix_suspect_reports_scheme_id_state_id", "scheme_id", "state", "id"),
)
