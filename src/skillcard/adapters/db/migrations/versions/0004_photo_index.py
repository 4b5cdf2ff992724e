"""index cardholders by photo

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:00:00.000000

Serving /photos/<sha256> to an admin finds whose photo it is; without this index that is a
scan of every cardholder (2 million of them at full scale).
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cardholders", schema=None) as batch_op:
        batch_op.create_index("ix_cardholders_photo_sha256", ["photo_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cardholders", schema=None) as batch_op:
        batch_op.drop_index("ix_cardholders_photo_sha256")
