"""Background work on a job queue: Procrastinate's schema on PostgreSQL, the embedded queue's
tables, and a bulk check's result rows

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 17:45:00.000000

Procrastinate's schema is applied here, from this migration (not by `procrastinate schema
--apply`), so `skillcard db upgrade` leaves a PostgreSQL database ready for `skillcard worker`
with nothing else to run. It is the schema of the Procrastinate pinned in requirements.lock
(3.10); a later Procrastinate's own migration files (procrastinate/sql/migrations) are
applied by a later migration of ours, with the upgrade of the pin.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("runner", sa.String(length=100), server_default="", nullable=False),
        sa.Column("error", sa.String(length=500), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_jobs")),
    )
    op.create_index(op.f("ix_queued_jobs_status"), "queued_jobs", ["status"])
    op.create_table(
        "periodic_runs",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", "due_at", name=op.f("pk_periodic_runs")),
    )
    op.create_table(
        "bulk_result_rows",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["bulk_jobs.id"], name=op.f("fk_bulk_result_rows_job_id_bulk_jobs")
        ),
        sa.PrimaryKeyConstraint("job_id", "row_index", name=op.f("pk_bulk_result_rows")),
    )
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_procrastinate(op.get_bind())
    op.drop_table("bulk_result_rows")
    op.drop_table("periodic_runs")
    op.drop_index(op.f("ix_queued_jobs_status"), table_name="queued_jobs")
    op.drop_table("queued_jobs")


def _drop_procrastinate(bind) -> None:
    """Every table, function and type Procrastinate's schema made (all named procrastinate_)."""
    tables = bind.exec_driver_sql(
        "SELECT tablename FROM pg_tables "
        "WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate%%'"
    ).scalars()
    for name in list(tables):
        bind.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    functions = bind.exec_driver_sql(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
        "AND p.proname LIKE 'procrastinate%%'"
    ).scalars()
    for signature in list(functions):
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    types = bind.exec_driver_sql(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%%' "
        "AND t.typtype IN ('e', 'c')"
    ).scalars()
    for name in list(types):
        bind.exec_driver_sql(f'DROP TYPE IF EXISTS "{name}" CASCADE')
