"""The check log names its card and scheme without foreign keys

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:45:00.000000

A foreign key's check locks the row it points at (FOR KEY SHARE): every line of the check log
wrote a lock into a row of the cards table, a random page of the largest table dirtied (and
logged whole, 7.6 KB of WAL, the first time after a checkpoint) per check, and every line of
a scheme's checks locked that scheme's one row. On the bench database that was about 30 us of
PostgreSQL's CPU per line, more than the line itself (bench/README.md, seventh round).
Cards and schemes are never deleted, and a line's ids come from the rows the check has just
read, so the keys guarded against nothing that happens; the index on ``card_id`` stays, for
a holder's "who checked my card". The checker's key stays: an anonymous check (most) has
none to check, and a user can be removed.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KEYS = {"fk_checks_card_id_cards": ("card_id", "cards"),
        "fk_checks_scheme_id_schemes": ("scheme_id", "schemes")}  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("checks") as checks:  # SQLite copies the table; nothing refers to it
        for name in KEYS:
            checks.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("checks") as checks:
        for name, (column, table) in KEYS.items():
            checks.create_foreign_key(name, table, [column], ["id"])
