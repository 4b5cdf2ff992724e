"""The job queue's figures at ``/metrics``, read from the queue itself at scrape time: the
queue is shared by every host, so any server's scrape tells the deployment's truth, whichever
host the workers run on (a counter kept in a worker's memory would die with the worker and be
seen by no server's scrape).

- ``skillcard_jobs_queued{state}``: jobs waiting (``todo``) and in hand (``doing``);
- ``skillcard_jobs_failed_total{task}``: jobs failed for good, by task. A job that raised
  stays in the queue's table as ``failed`` (successful jobs are deleted, so the table stays
  small and the count is cheap); a bulk check that stopped with a reason for its business
  (a bad file, a spent budget) ended its own way, as a ``failed`` bulk job, and is counted
  under ``bulk.check`` too.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from skillcard.adapters.db.dialect import is_postgresql
from skillcard.services.jobs import BULK_CHECK

_PROCRASTINATE = sa.text(
    "SELECT status::text, task_name, count(*) FROM procrastinate_jobs"
    " WHERE status IN ('todo', 'doing', 'failed') GROUP BY 1, 2"
)
_TABLE = sa.text(
    "SELECT status, name, count(*) FROM queued_jobs"
    " WHERE status IN ('todo', 'doing', 'failed') GROUP BY 1, 2"
)
_BULK_FAILED = sa.text("SELECT count(*) FROM bulk_jobs WHERE status = 'failed'")
# Procrastinate's periodic tasks are named after the job with ".periodic": one name per job.
_PERIODIC = ".periodic"


def read_queue(engine: sa.Engine) -> tuple[dict[str, int], dict[str, int]]:
    """(jobs by state: todo, doing; jobs failed for good by task), in one connection."""
    states = {"todo": 0, "doing": 0}
    failed: dict[str, int] = {}
    with engine.connect() as connection:
        query = _PROCRASTINATE if is_postgresql(engine) else _TABLE
        for status, task, count in connection.execute(query):
            if status == "failed":
                task = task.removesuffix(_PERIODIC)
                failed[task] = failed.get(task, 0) + count
            else:
                states[status] += count
        bulk = connection.execute(_BULK_FAILED).scalar_one()
    if bulk:
        failed[BULK_CHECK] = failed.get(BULK_CHECK, 0) + bulk
    return states, failed


def queue_metrics(engine: sa.Engine) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    states, failed = read_queue(engine)
    queued = GaugeMetricFamily(
        "skillcard_jobs_queued",
        "background jobs waiting (todo) and in hand (doing)",
        labels=["state"],
    )
    for state, count in states.items():
        queued.add_metric([state], count)
    yield queued
    gone = CounterMetricFamily(
        "skillcard_jobs_failed", "background jobs failed for good, by task", labels=["task"]
    )
    for task, count in sorted(failed.items()):
        gone.add_metric([task], count)
    yield gone
