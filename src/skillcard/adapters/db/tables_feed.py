"""Tables of the card change feed (migration 0025): the entries, append-only, and the
schemes' webhooks to which they are posted.

On the one schema's metadata (see tables.py); migration 0025 is written to match.
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _id, metadata

# One row per change to a card, never updated or deleted. ``id`` is the feed's order (the
# cursor wraps it); services/federation/change_feed.py says how ids commit in order on
# PostgreSQL. ``entry`` is what the card was right after the change, as readers get it.
# ``once`` is set only where an entry must exist at most once (an expiry_near announcement).
card_changes = sa.Table(
    "card_changes",
    metadata,
    _id(),
    sa.Column("card_id", sa.ForeignKey("cards.id"), nullable=False, index=True),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("occurred_at", AwareDateTime(), nullable=False),
    sa.Column("entry", sa.JSON, nullable=False),
    sa.Column("once", sa.String(80), unique=True),
    sa.Index("ix_card_changes_scheme_id_id", "scheme_id", "id"),
)

# A scheme's webhook, to which its own cards' changes are posted (a business's is on its row).
scheme_webhooks = sa.Table(
    "scheme_webhooks",
    metadata,
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), primary_key=True),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("set_at", AwareDateTime(), nullable=False),
)
