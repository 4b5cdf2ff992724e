"""A user's business is a foreign key

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 11:00:00.000000

``users.business_id`` came with the users table (0001), before there were businesses (0006),
as a plain integer. Nothing deletes a business, so no row should point at a missing one; if
one does, the migration stops and says which users, rather than guess whom they belong to.
On SQLite the table is copied with its keys unchecked, then every key is checked before the
commit (see ``migrate.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KEY = "fk_users_business_id_businesses"


def upgrade() -> None:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("business_id", sa.Integer))
    businesses = sa.table("businesses", sa.column("id", sa.Integer))
    orphans = (
        op.get_bind()
        .scalars(
            sa.select(users.c.id)
            .where(users.c.business_id.is_not(None))
            .where(~sa.exists().where(businesses.c.id == users.c.business_id))
            .order_by(users.c.id)
        )
        .all()
    )
    if orphans:
        raise RuntimeError(
            f"users {orphans[:20]} belong to businesses that do not exist: give them their "
            "business (or none) before upgrading"
        )
    with op.batch_alter_table("users") as users_table:
        users_table.create_foreign_key(KEY, "businesses", ["business_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("users") as users_table:
        users_table.drop_constraint(KEY, type_="foreignkey")
