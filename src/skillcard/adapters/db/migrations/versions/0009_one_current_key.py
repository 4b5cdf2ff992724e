"""One current signing key per scheme

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 01:40:00.000000

Two requests that each made a scheme's first key at the same moment could leave two current
keys; a rotation then retired only one of them. Any such pair is mended first: the older key
is retired, its signing window ending when the newer one began, and it stays in the trust
list until the last card of its scheme expires (it may have signed any of them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "uq_signing_keys_one_current"
HUB_INDEX = "uq_signing_keys_one_current_hub"


def upgrade() -> None:
    connection = op.get_bind()
    keys = sa.table(
        "signing_keys",
        sa.column("id", sa.Integer),
        sa.column("scheme_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("valid_from", sa.DateTime(timezone=True)),
        sa.column("valid_until", sa.DateTime(timezone=True)),
        sa.column("verify_until", sa.Date),
    )
    cards = sa.table("cards", sa.column("scheme_id", sa.Integer), sa.column("expires_on", sa.Date))
    current = connection.execute(
        sa.select(keys.c.id, keys.c.scheme_id, keys.c.valid_from)
        .where(keys.c.status == "current")
        .order_by(keys.c.scheme_id, keys.c.valid_from.desc(), keys.c.id.desc())
    ).all()
    newest: dict = {}
    for key_id, scheme_id, valid_from in current:
        if scheme_id not in newest:
            newest[scheme_id] = valid_from
            continue
        last = connection.scalar(
            sa.select(sa.func.max(cards.c.expires_on)).where(cards.c.scheme_id == scheme_id)
        )
        connection.execute(
            keys.update()
            .where(keys.c.id == key_id)
            .values(status="retired", valid_until=newest[scheme_id], verify_until=last)
        )
    one_current = sa.text("status = 'current'")
    op.create_index(
        INDEX, "signing_keys", ["scheme_id"], unique=True,
        postgresql_where=one_current, sqlite_where=one_current,
    )  # fmt: skip
    hub = sa.text("status = 'current' AND scheme_id IS NULL")
    op.create_index(
        HUB_INDEX, "signing_keys", ["status"], unique=True,
        postgresql_where=hub, sqlite_where=hub,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index(HUB_INDEX, table_name="signing_keys")
    op.drop_index(INDEX, table_name="signing_keys")
