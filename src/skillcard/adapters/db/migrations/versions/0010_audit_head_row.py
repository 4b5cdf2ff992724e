"""The audit chain's head row exists from the start

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 01:00:00.000000

The first audited change inserted the head row; two first changes at the same moment both
found none and one failed on a duplicate sequence number. With the row in place from the
start, every append takes the same row lock and they queue. ``seq`` 0 and the genesis hash
are what an empty chain reads as anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # skillcard.domain.audit.GENESIS, written out: migrations stand alone


def upgrade() -> None:
    head = sa.table(
        "audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
        sa.column("hash", sa.String),
    )  # fmt: skip
    connection = op.get_bind()
    if connection.scalar(sa.select(sa.func.count()).select_from(head)) == 0:
        connection.execute(head.insert().values(id=1, seq=0, hash=GENESIS))


def downgrade() -> None:
    pass  # an empty chain reads the same with or without the row
