"""Scheme connectors' card imports: one row per import (its progress and counts), and one per
row of its file once judged (its outcome, why if refused, and the card it made or changed)."""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import metadata

card_imports = sa.Table(
    "card_imports",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("created_by", sa.String(254), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("finished_at", AwareDateTime()),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("format", sa.String(10), nullable=False),  # csv or ndjson
    sa.Column("snapshot", sa.Boolean, nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total_rows", sa.Integer, nullable=False),
    sa.Column("checked_rows", sa.Integer, nullable=False),
    sa.Column("done_rows", sa.Integer, nullable=False),
    sa.Column("created", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("refused", sa.Integer, nullable=False),
    sa.Column("missing", sa.Integer),  # a snapshot's cards on record missing from its file
    sa.Column("message", sa.String(1000), nullable=False),
    sa.Index("ix_card_imports_scheme_id_created_at", "scheme_id", "created_at"),
)

card_import_rows = sa.Table(
    "card_import_rows",
    metadata,
    sa.Column("import_id", sa.ForeignKey("card_imports.id"), primary_key=True),
    sa.Column("line", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("number", sa.String(40), nullable=False),
    sa.Column("outcome", sa.String(12), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("card_id", sa.Integer),  # no foreign key: a lock on cards per row written
)
