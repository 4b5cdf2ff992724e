"""Tables of the digital card's trust: signing keys, status lists and each card's entries in them.

On the one schema's metadata (see tables.py); migrations 0003, 0009 and 0018 are written to match.
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _id, metadata

# Signing keys (see domain/signing.py): scheme_id NULL is the hub's key. Private keys are
# sealed with the master secret (adapters/keys.py), never stored in the clear.
signing_keys = sa.Table(
    "signing_keys",
    metadata,
    _id(),
    sa.Column("kid", sa.String(32), nullable=False, unique=True),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id")),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("private_key_encrypted", sa.LargeBinary),  # None: a key the scheme holds
    sa.Column("holder", sa.String(8), nullable=False, server_default="hub"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("valid_from", AwareDateTime(), nullable=False),
    sa.Column("valid_until", AwareDateTime()),
    sa.Column("verify_until", sa.Date),
    sa.Index("ix_signing_keys_scheme_id_status", "scheme_id", "status"),
)
# One current hub-held key per scheme, and one for the hub (scheme_id NULL, which a unique
# index does not compare), so that two requests making a first key at once cannot both succeed
# (see SigningKeyRepository.add). A scheme that holds its own keys may have several current
# ones (overlapping windows while it rotates). Plain columns, not coalesce(): SQLite's indexes
# on expressions cannot be read back to compare the schema with the migrations.
_CURRENT = signing_keys.c.status == "current"
_CURRENT_HUB_HELD = _CURRENT & (signing_keys.c.holder == "hub")
sa.Index(
    "uq_signing_keys_one_current",
    signing_keys.c.scheme_id,
    unique=True,
    postgresql_where=_CURRENT_HUB_HELD,
    sqlite_where=_CURRENT_HUB_HELD,
)
sa.Index(
    "uq_signing_keys_one_current_hub",
    signing_keys.c.status,
    unique=True,
    postgresql_where=_CURRENT & signing_keys.c.scheme_id.is_(None),
    sqlite_where=_CURRENT & signing_keys.c.scheme_id.is_(None),
)

# One signed status list per scheme: the raw bit-planes (flipped in the lifecycle's own
# transaction) and the signed JSON document as published (see services/credentials/status_lists.py).
status_lists = sa.Table(
    "status_lists",
    metadata,
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), primary_key=True, autoincrement=False),
    sa.Column("issued", AwareDateTime(), nullable=False),
    sa.Column("ttl", sa.Integer, nullable=False),
    sa.Column("bits", sa.LargeBinary, nullable=False),
    sa.Column("suspended", sa.LargeBinary, nullable=False),
    sa.Column("kid", sa.String(32), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
)

# Each card's entries in its scheme's status list, drawn at random (domain/status_indexes.py):
# an entry is one card's for good. ``until`` is None for the card's current entry; an entry the
# card has moved on from (a renewal, or the serial-based entry of a credential printed before
# migration 0018) is listed until that day, the expiry of the credentials that carry it.
status_entries = sa.Table(
    "status_entries",
    metadata,
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), primary_key=True, autoincrement=False),
    sa.Column("status_index", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("card_id", sa.ForeignKey("cards.id"), nullable=False, index=True),
    sa.Column("until", sa.Date),
)
sa.Index(
    "uq_status_entries_current",
    status_entries.c.card_id,
    unique=True,
    postgresql_where=status_entries.c.until.is_(None),
    sqlite_where=status_entries.c.until.is_(None),
)

# Each scheme's status list size and how many of its entries are taken: the row locked while
# an entry is drawn, so two issuers never count the same free entry.
status_index_spaces = sa.Table(
    "status_index_spaces",
    metadata,
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), primary_key=True, autoincrement=False),
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("allocated", sa.Integer, nullable=False),
)
