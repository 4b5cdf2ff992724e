"""The job port's two adapters, and what entry points (serve, worker, demo, tests) build:
Procrastinate on PostgreSQL (procrastinate_queue.py), a table polled in-process on SQLite
(table_queue.py). Which one follows the database, so a unit of work always enqueues on the
queue its runner reads."""

from __future__ import annotations

from typing import Protocol

from skillcard.adapters.db.dialect import is_postgresql
from skillcard.services import jobs
from skillcard.services.ports.jobs import JobQueue


class Runner(Protocol):
    """A job runner in this process: a Procrastinate worker thread or the table poller."""

    def start(self) -> None: ...
    def stop(self, timeout: float = ...) -> None: ...


def job_queue_for(session) -> JobQueue:
    """The job port on a session: jobs enqueued in its transaction."""
    if is_postgresql(session.get_bind()):
        from skillcard.adapters.jobs.procrastinate_queue import ProcrastinateJobs

        return ProcrastinateJobs(session)
    from skillcard.adapters.jobs.table_queue import TableJobs

    return TableJobs(session)


def context_from(settings, uow_factory, files) -> jobs.JobContext:
    """The jobs' context from the settings and the file store (the one the serving processes
    keep uploads in): built once, at a runner's entry point."""
    from skillcard.adapters.rate_limits import budget_counter
    from skillcard.services.business import webhooks
    from skillcard.services.business.business_budget import Budget

    return jobs.JobContext(
        uow_factory=uow_factory,
        public_url=settings.public_url,
        files=files,
        retention=settings.retention(),
        alerts_hour_utc=settings.alerts_hour_utc,
        alerts_daily=settings.alerts_daily,
        checkpoint_minutes=settings.audit_checkpoint_minutes,
        mailer=settings.mailer(),
        post=webhooks.default_poster(settings),
        retries=webhooks.retries_of(settings),
        budget=Budget(settings.budget_rules(), budget_counter(settings.redis_url)),
    )


def start_runner(settings, engine, uow_factory, files, *, concurrency: int = 2) -> Runner:
    """A runner inside this process, started; ``.stop()`` ends it. On SQLite the table
    poller; on PostgreSQL a Procrastinate worker thread."""
    context = context_from(settings, uow_factory, files)
    if is_postgresql(engine):
        from skillcard.adapters.jobs import procrastinate_queue as pq

        stalled = settings.job_stalled_seconds
        app = pq.build_app(context, settings.database_url, stalled_after=stalled)
        options = pq.worker_options(
            concurrency=concurrency, heartbeat=stalled / 3, stalled_after=stalled
        )
        runner: Runner = pq.WorkerThread(app, stalled_after=stalled, **options)
    else:
        from skillcard.adapters.jobs.table_queue import InProcessRunner

        runner = InProcessRunner(engine, context, poll=settings.job_poll_seconds)
    runner.start()
    return runner
