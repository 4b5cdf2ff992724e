"""Share links: a public page for a card or an achievement the holder chose to share

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 17:45:00.000000

Nothing of a holder is public until they share it (issue 18, item 3); a link has an expiry,
may be revoked (its page then answers 410), and counts the views of its page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_share_links_cardholder_id_cardholders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        sa.UniqueConstraint("token", name=op.f("uq_share_links_token")),
    )
    op.create_index(
        op.f("ix_share_links_cardholder_id"), "share_links", ["cardholder_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_share_links_cardholder_id"), table_name="share_links")
    op.drop_table("share_links")
