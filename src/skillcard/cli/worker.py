"""``skillcard worker``: runs the background jobs (bulk checks, alerts, purges, mail,
webhooks, audit checkpoints) off the queue, on PostgreSQL. Start as many as you like, on as
many hosts: each job is run by one of them, each periodic run once per deployment."""

from __future__ import annotations

from typing import Annotated

import typer

from skillcard.cli.common import console, database, files, uow
from skillcard.config import get_settings
from skillcard.errors import InvalidInput


def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Jobs run at once")
    ] = 2,
) -> None:
    """Run background jobs until stopped (Ctrl+C or SIGTERM: the jobs in hand finish first;
    a worker killed outright has its jobs run again by another after
    SKILLCARD_JOB_STALLED_SECONDS)."""
    from skillcard.adapters.db.dialect import is_postgresql
    from skillcard.adapters.jobs import context_from
    from skillcard.adapters.jobs import procrastinate_queue as pq
    from skillcard.cli.serve import refuse_unsafe_settings

    settings = get_settings()
    refuse_unsafe_settings(settings)  # it signs checkpoints and sends mail as a server does
    engine = database()  # a database that is missing or behind stops here, in one line
    if not is_postgresql(engine):
        raise InvalidInput(
            "`skillcard worker` runs jobs on PostgreSQL (SKILLCARD_DATABASE_URL); on the "
            "embedded SQLite database `skillcard serve` runs them itself"
        )
    stalled = settings.job_stalled_seconds
    context = context_from(settings, uow, files())
    app = pq.build_app(context, settings.database_url, stalled_after=stalled)
    console.print(f"Worker started: {concurrency} at once, queue {pq.QUEUE!r}. Ctrl+C stops.")
    pq.run_worker(
        app,
        stalled_after=stalled,
        **pq.worker_options(concurrency=concurrency, heartbeat=stalled / 3, stalled_after=stalled),
    )
