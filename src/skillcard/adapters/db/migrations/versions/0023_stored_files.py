"""Files kept in the database, shared by every host; when an attempt's pictures were purged

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 17:40:00.000000

With SKILLCARD_FILE_STORE=database, photos, evidence, invigilation pictures and bulk check
files are rows of this table (in parts of at most 1 MB) instead of files on one host's disk.
An HSE attempt's webcam snapshots and identity photos are deleted once the appeal window after
its review's decision has passed (SKILLCARD_SNAPSHOT_APPEAL_DAYS): the attempt says when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=201), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "part", name=op.f("pk_stored_files")),
    )

    with op.batch_alter_table("hse_attempts") as batch:
        batch.add_column(sa.Column("pictures_purged_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("hse_attempts") as batch:
        batch.drop_column("pictures_purged_at")
    op.drop_table("stored_files")
