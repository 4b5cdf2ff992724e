"""Tables of background work: the embedded queue's jobs, its periodic runs, and the rows of
a bulk check's result as they are checked.

``queued_jobs`` and ``periodic_runs`` are the in-process queue of the embedded default
(SQLite, see adapters/jobs/table_queue.py); on PostgreSQL Procrastinate keeps its own tables
(migration 0020 applies its schema) and these stay empty. ``bulk_result_rows`` is used on
both: a batch's answers are written with their row index in the transaction that logs the
batch's checks, so a job retried after its worker died goes on from the last batch committed
and never writes a row twice (the primary key refuses it).
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.adapters.db.tables import _id, metadata

queued_jobs = sa.Table(
    "queued_jobs",
    metadata,
    _id(),
    sa.Column("name", sa.String(60), nullable=False),
    sa.Column("args", sa.Text, nullable=False),  # JSON
    sa.Column("status", sa.String(10), nullable=False, index=True),  # todo, doing, done, failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("run_after", AwareDateTime(), nullable=False),
    sa.Column("runner", sa.String(100), nullable=False, server_default=""),  # host:pid
    sa.Column("error", sa.String(500), nullable=False, server_default=""),
)

# One row per periodic job and due time: whichever runner inserts it enqueues that run, so a
# run happens once however many processes poll (the same rule as Procrastinate's).
periodic_runs = sa.Table(
    "periodic_runs",
    metadata,
    sa.Column("name", sa.String(60), primary_key=True),
    sa.Column("due_at", AwareDateTime(), primary_key=True),
)

bulk_result_rows = sa.Table(
    "bulk_result_rows",
    metadata,
    sa.Column("job_id", sa.ForeignKey("bulk_jobs.id"), primary_key=True),
    sa.Column("row_index", sa.Integer, primary_key=True),  # from 0, in the file's order
    sa.Column("answer", sa.Text, nullable=False),  # JSON: the result CSV's row
)
