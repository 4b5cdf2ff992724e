"""The job queue on PostgreSQL: Procrastinate.

Chosen over Celery, Dramatiq, RQ and Huey because it keeps its jobs in PostgreSQL, the
database we already run, and defers a job on the caller's own connection: the job is
committed with the upload that asks for it, or rolled back with it. The others keep jobs in a
broker (Redis, RabbitMQ), where a job is sent beside the transaction, never in it: a crash
between the two leaves a committed upload with no job, or a job for an upload that was rolled
back (their "transactional outbox" workaround is a second queue of our own). Procrastinate
also defers each periodic run once per deployment (a unique row per task and time), and a
worker's heartbeat tells a dead worker's jobs (:func:`retry_stalled`).

The schema is applied by our Alembic migration 0020 (``skillcard db upgrade``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

import procrastinate
import sqlalchemy as sa

from skillcard.services import jobs

log = logging.getLogger(__name__)
QUEUE = "skillcard"
STALLED_CHECK = "jobs.retry_stalled"
_deferrer: procrastinate.App | None = None


def conninfo(database_url: str) -> str:
    """libpq's form of a SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    url = sa.make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _deferring_app() -> procrastinate.App:
    """An app that only defers, always on the caller's connection: it never opens a pool."""
    global _deferrer
    if _deferrer is None:
        _deferrer = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())
    return _deferrer


class ProcrastinateJobs:
    """The job port on a unit of work's session (PostgreSQL): deferred on its connection."""

    def __init__(self, session) -> None:
        self.session = session

    def enqueue(self, name: str, args: dict) -> None:
        raw = self.session.connection().connection.driver_connection
        _deferring_app().configure_task(name, connection=raw, queue=QUEUE).defer(**args)

    def enqueue_unless_waiting(self, name: str, args: dict) -> None:
        # The queueing lock (a unique index over waiting jobs) is the job's name, as its
        # periodic run's is: a second waiting one is refused. The refusal is a unique
        # violation, which would abort the caller's transaction: hence the savepoint. The
        # lock keeps two runs from going at once, as for the periodic run.
        refused = procrastinate.exceptions.AlreadyEnqueued
        with contextlib.suppress(refused), self.session.begin_nested():
            raw = self.session.connection().connection.driver_connection  # sends the SAVEPOINT
            _deferring_app().configure_task(
                name, connection=raw, queue=QUEUE, lock=name, queueing_lock=name
            ).defer(**args)


def build_app(
    context: jobs.JobContext, database_url: str, *, stalled_after: float = 30.0
) -> procrastinate.App:
    """A worker's app: every job of the catalogue as a task, and the periodic ones."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    )
    for name in jobs.JOB_NAMES:
        app.task(name=name, queue=QUEUE)(_one_off(context, name))
    for periodic in jobs.periodic_jobs(context):
        # The lock: never two runs at once (two outbox runs would both send what waits); the
        # queueing lock: never a second run waiting behind one not yet started.
        lock = periodic.name
        task = app.task(
            name=f"{periodic.name}.periodic", queue=QUEUE, lock=lock, queueing_lock=lock
        )
        app.periodic(cron=periodic.cron, periodic_id=periodic.name)(
            task(_periodic(context, periodic.name))
        )

    @app.periodic(cron="* * * * * */10", periodic_id=STALLED_CHECK)
    @app.task(name=STALLED_CHECK, queue=QUEUE, lock=STALLED_CHECK, queueing_lock=STALLED_CHECK)
    async def _retry_stalled(timestamp: int) -> None:
        await retry_stalled(app, stalled_after)

    return app


def _one_off(context: jobs.JobContext, name: str):
    def run(**args) -> None:
        jobs.run_job(context, name, args)

    run.__name__ = name.replace(".", "_")
    return run


def _periodic(context: jobs.JobContext, name: str):
    def run(timestamp: int) -> None:
        jobs.run_job(context, name, {})

    run.__name__ = name.replace(".", "_")
    return run


async def retry_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Jobs whose worker stopped beating for ``stalled_after`` seconds (killed, its host gone)
    are queued again; the workers are forgotten."""
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
    count = 0
    for job in stalled:
        await app.job_manager.retry_job(job)
        count += 1
        log.warning("job %s (%s) was stalled: queued again", job.id, job.task_name)
    await app.job_manager.prune_stalled_workers(seconds_since_heartbeat=stalled_after)
    return count


# How often an idle worker looks for jobs besides being told (Procrastinate's default is 5 s).
# A worker clears its "new job" flag after each fetch, so a job committed while a fetch is under
# way is told and then forgotten, and waits for this look. Before, the next job's notice woke it;
# but the delivery job waits alone (its queueing lock refuses the next changes' jobs), so a
# change's webhook waited up to 5 s (bench/change_feed.py --webhook). A query a second is cheap.
FETCH_POLL_SECONDS = 1.0


def worker_options(*, concurrency: int, heartbeat: float, stalled_after: float) -> dict:
    return {
        "queues": [QUEUE],
        "concurrency": concurrency,
        "update_heartbeat_interval": heartbeat,
        "stalled_worker_timeout": stalled_after,
        "delete_jobs": "successful",
        "fetch_job_polling_interval": FETCH_POLL_SECONDS,
    }


def run_worker(app: procrastinate.App, *, stalled_after: float, **options) -> None:
    """Run a worker until SIGINT/SIGTERM (it finishes its jobs in hand first)."""

    async def work() -> None:
        async with app.open_async():
            await retry_stalled(app, stalled_after)  # a dead worker's jobs, at once
            await app.run_worker_async(**options)

    asyncio.run(work())


class WorkerThread(threading.Thread):
    """A Procrastinate worker inside a serving process, for deployments that start no
    ``skillcard worker`` (``SKILLCARD_JOBS_IN_PROCESS``, and the tests on PostgreSQL)."""

    def __init__(self, app: procrastinate.App, *, stalled_after: float, **options) -> None:
        super().__init__(name="skillcard-jobs", daemon=True)
        self.app, self.stalled_after = app, stalled_after
        self.options = {**options, "install_signal_handlers": False}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._work())
        finally:
            self.loop.close()

    async def _work(self) -> None:
        async with self.app.open_async():
            await retry_stalled(self.app, self.stalled_after)
            self.task = asyncio.ensure_future(self.app.run_worker_async(**self.options))
            self.ready.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    def stop(self, timeout: float = 30.0) -> None:
        self.ready.wait(timeout)
        if self.loop is not None and self.task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.join(timeout)
