"""The card change feed: its entries, schemes' webhooks, deliveries to a scheme

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06 21:00:00.000000

Every change to a card is an entry of an append-only feed, read by cursor (issue 17 item 2)
and posted to the webhooks of the businesses whose workforce holds the card and of the
card's scheme; a delivery is now to a business or to a scheme.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("once", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_card_changes_card_id_cards")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_card_changes_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_changes")),
        sa.UniqueConstraint("once", name=op.f("uq_card_changes_once")),
    )
    op.create_index(op.f("ix_card_changes_card_id"), "card_changes", ["card_id"])
    op.create_index("ix_card_changes_scheme_id_id", "card_changes", ["scheme_id", "id"])
    op.create_table(
        "scheme_webhooks",
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_scheme_webhooks_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("scheme_id", name=op.f("pk_scheme_webhooks")),
    )
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.alter_column("business_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("scheme_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_webhook_deliveries_scheme_id_schemes"), "schemes", ["scheme_id"], ["id"]
        )
        batch.create_index("ix_webhook_deliveries_scheme_id_id", ["scheme_id", "id"])


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_index("ix_webhook_deliveries_scheme_id_id")
        batch.drop_constraint(op.f("fk_webhook_deliveries_scheme_id_schemes"), type_="foreignkey")
        batch.drop_column("scheme_id")
    op.execute("DELETE FROM webhook_deliveries WHERE business_id IS NULL")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.alter_column("business_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("scheme_webhooks")
    op.drop_index("ix_card_changes_scheme_id_id", table_name="card_changes")
    op.drop_index(op.f("ix_card_changes_card_id"), table_name="card_changes")
    op.drop_table("card_changes")
