"""Files kept in the database (``SKILLCARD_FILE_STORE=database``): one row per part of at most
1 MB, so every host on the database reads the same photos, evidence and bulk results."""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import metadata

stored_files = sa.Table(
    "stored_files",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("key", sa.String(201), primary_key=True),
    sa.Column("part", sa.Integer, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("written_at", AwareDateTime(), nullable=False),
)
