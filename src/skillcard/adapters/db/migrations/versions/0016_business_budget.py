"""A business is approved by the hub; a bulk job names the process that runs it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 15:00:00.000000

``businesses.approved``: a newly registered business has a small check allowance until the hub
admin approves it. Businesses registered before this migration are approved (they worked
with no allowance at all, and their checks must go on).

``bulk_jobs.runner``: host and process id of the server running a job, so that a server
starting again marks its own orphaned jobs interrupted at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("businesses") as businesses:
        businesses.add_column(
            sa.Column("approved", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute(sa.text("UPDATE businesses SET approved = :yes").bindparams(yes=True))
    with op.batch_alter_table("bulk_jobs") as bulk_jobs:
        bulk_jobs.add_column(sa.Column("runner", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as bulk_jobs:
        bulk_jobs.drop_column("runner")
    with op.batch_alter_table("businesses") as businesses:
        businesses.drop_column("approved")
