"""Tables of the open-standard credentials: each achievement's entry in the hub's Bitstring
Status List, and the holders' share links.

On the one schema's metadata (see tables.py); migrations 0021 and 0022 are written to match.
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _id, metadata

# An achievement a holder exported as an Open Badge (a verified qualification, an HSE pass, a
# year's verified CPD) keeps one entry, drawn at random, for as long as it exists: re-exports
# carry the same entry and the same public id. Its status is derived from the record it stands
# for when the list is published (services/credentials/open_badges.py), never stored twice.
badge_entries = sa.Table(
    "badge_entries",
    metadata,
    _id(),
    sa.Column("public_id", sa.String(36), nullable=False, unique=True),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("subject", sa.String(40), nullable=False),
    sa.Column("status_index", sa.Integer, nullable=False, unique=True),
    sa.Column("claimed_minutes", sa.Integer),  # a CPD badge: the verified minutes it states
    sa.Column("issued_at", AwareDateTime(), nullable=False),
    sa.UniqueConstraint("cardholder_id", "kind", "subject"),
)

# A holder's share link (migration 0022): a public page at /shared/{token} for one card or one
# achievement, until it expires or the holder revokes it. The page's views are counted here.
share_links = sa.Table(
    "share_links",
    metadata,
    _id(),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),  # "card" or "achievement"
    sa.Column("subject", sa.String(60), nullable=False),  # a card's id, an achievement's key
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("expires_at", AwareDateTime(), nullable=False),
    sa.Column("revoked_at", AwareDateTime()),
    sa.Column("views", sa.Integer, nullable=False, default=0),
    sa.Column("last_viewed_at", AwareDateTime()),
)
