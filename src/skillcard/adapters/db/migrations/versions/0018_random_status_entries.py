"""Status list entries drawn at random, not the card's serial

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 15:00:00.000000

Until now a card's entry in its scheme's status list was its serial, so the list told anyone
which card numbers were revoked or suspended. Every card gets a new entry drawn at random among
the unused ones (``status_entries``, ``until`` empty), and keeps its serial as an old entry
listed until the card's expiry (``until`` = ``expires_on``), because the credentials printed
before this migration carry the serial and must go on saying whether the card is still good.
Lists are sized for both (a power of two, at least twice what is taken: more than 2 x 175,000
entries for ECS gives 1,048,576). The stored lists are dropped: each is rebuilt from the entries
and signed again on first use. Written per scheme, in batches.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

from skillcard.domain.status_indexes import IndexSpace, entries_for

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade() -> None:
    entries = op.create_table(
        "status_entries",
        sa.Column("scheme_id", sa.Integer, nullable=False),
        sa.Column("status_index", sa.Integer, nullable=False),
        sa.Column("card_id", sa.Integer, nullable=False),
        sa.Column("until", sa.Date),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"],
                                name="fk_status_entries_scheme_id_schemes"),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name="fk_status_entries_card_id_cards"),
        sa.PrimaryKeyConstraint("scheme_id", "status_index", name="pk_status_entries"),
    )  # fmt: skip
    op.create_index("ix_status_entries_card_id", "status_entries", ["card_id"])
    current = sa.text("until IS NULL")
    op.create_index(
        "uq_status_entries_current", "status_entries", ["card_id"], unique=True,
        postgresql_where=current, sqlite_where=current,
    )  # fmt: skip
    spaces = op.create_table(
        "status_index_spaces",
        sa.Column("scheme_id", sa.Integer, nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("allocated", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"],
                                name="fk_status_index_spaces_scheme_id_schemes"),
        sa.PrimaryKeyConstraint("scheme_id", name="pk_status_index_spaces"),
    )  # fmt: skip
    bind = op.get_bind()
    schemes = sa.table("schemes", sa.column("id", sa.Integer), sa.column("number_prefix"))
    cards = sa.table(
        "cards", sa.column("id", sa.Integer), sa.column("scheme_id", sa.Integer),
        sa.column("number"), sa.column("expires_on", sa.Date),
    )  # fmt: skip
    for scheme_id, prefix in bind.execute(sa.select(schemes.c.id, schemes.c.number_prefix)):
        rows = bind.execute(
            sa.select(cards.c.id, cards.c.number, cards.c.expires_on)
            .where(cards.c.scheme_id == scheme_id)
            .order_by(cards.c.id)
        ).all()
        legacy = [
            {"scheme_id": scheme_id, "status_index": int(number[len(prefix) : -1]),
             "card_id": card_id, "until": expires_on}
            for card_id, number, expires_on in rows
        ]  # fmt: skip
        taken = {row["status_index"] for row in legacy}
        size = entries_for(2 * len(rows))
        while taken and size <= max(taken):
            size *= 2
        space = IndexSpace(size, taken, os.urandom)
        space.reserve(len(rows))
        fresh = [
            {"scheme_id": scheme_id, "status_index": space.draw(), "card_id": card_id,
             "until": None}
            for card_id, _number, _expires in rows
        ]  # fmt: skip
        both = legacy + fresh
        for start in range(0, len(both), BATCH):
            bind.execute(entries.insert(), both[start : start + BATCH])
        bind.execute(
            spaces.insert(),
            [{"scheme_id": scheme_id, "entries": space.entries, "allocated": len(taken)}],
        )
    bind.execute(sa.text("DELETE FROM status_lists"))  # rebuilt from the entries on first use


def downgrade() -> None:
    op.drop_table("status_index_spaces")
    op.drop_index("uq_status_entries_current", "status_entries")
    op.drop_index("ix_status_entries_card_id", "status_entries")
    op.drop_table("status_entries")
    op.execute("DELETE FROM status_lists")  # rebuilt from the serials on first use
