"""Scheme connectors: cards carry the scheme's own version, holders the scheme's reference;
card imports and their per-row results

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 21:00:00.000000

A scheme's own system sends cards and their holders (domain/card_records.py): a card keeps the
scheme's version of it (an older one never overwrites a newer one), a holder the scheme's own
reference for the person. A file of records is an import: its progress and counts, and one row
per line of the file with its outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("source_version", sa.String(length=32)))
    with op.batch_alter_table("cardholders") as batch:
        batch.add_column(sa.Column("ref_scheme_id", sa.Integer()))
        batch.add_column(sa.Column("scheme_ref", sa.String(length=64)))
        batch.create_foreign_key(
            op.f("fk_cardholders_ref_scheme_id_schemes"), "schemes", ["ref_scheme_id"], ["id"]
        )
        batch.create_unique_constraint(
            op.f("uq_cardholders_ref_scheme_id_scheme_ref"), ["ref_scheme_id", "scheme_ref"]
        )
    op.create_table(
        "card_imports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("snapshot", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("checked_rows", sa.Integer(), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer()),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_card_imports_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_imports")),
    )
    op.create_index(
        "ix_card_imports_scheme_id_created_at", "card_imports", ["scheme_id", "created_at"]
    )
    op.create_table(
        "card_import_rows",
        sa.Column("import_id", sa.String(length=32), nullable=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("card_id", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["card_imports.id"],
            name=op.f("fk_card_import_rows_import_id_card_imports"),
        ),
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_card_import_rows")),
    )


def downgrade() -> None:
    op.drop_table("card_import_rows")
    op.drop_index("ix_card_imports_scheme_id_created_at", table_name="card_imports")
    op.drop_table("card_imports")
    with op.batch_alter_table("cardholders") as batch:
        batch.drop_constraint(op.f("uq_cardholders_ref_scheme_id_scheme_ref"), type_="unique")
        batch.drop_constraint(op.f("fk_cardholders_ref_scheme_id_schemes"), type_="foreignkey")
        batch.drop_column("scheme_ref")
        batch.drop_column("ref_scheme_id")
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("source_version")
