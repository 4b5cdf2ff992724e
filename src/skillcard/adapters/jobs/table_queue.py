"""The embedded default's job queue: a table in the SQLite file, and a thread in the serving
process that polls it.

Why a thread and not a worker process: the embedded default is one file on one machine and
must run with nothing else to start (``skillcard demo``, ``skillcard serve`` on SQLite), and
Procrastinate needs PostgreSQL. SQLite's ``BEGIN IMMEDIATE`` (engine.py) makes claiming a job
atomic, so several serving processes may each poll: a job is run by one of them, and a
periodic run is enqueued by whichever inserts its ``periodic_runs`` row first. A job left
``doing`` by a process that died is queued again when a runner starts, and goes on where it
stopped (a bulk check keeps its rows by index).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Callable

import sqlalchemy as sa
from croniter import croniter
from sqlalchemy import exc

from skillcard.adapters.db.tables_jobs import periodic_runs, queued_jobs
from skillcard.services import jobs

log = logging.getLogger(__name__)
TODO, DOING, FAILED = "todo", "doing", "failed"
# A periodic run missed by more than this (the servers were down) is skipped, not caught up:
# as Procrastinate does, so both runners behave alike.
LATE = dt.timedelta(minutes=10)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TableJobs:
    """The job port on a unit of work's session (SQLite)."""

    def __init__(self, session) -> None:
        self.session = session

    def enqueue(self, name: str, args: dict) -> None:
        self.session.execute(
            queued_jobs.insert().values(
                name=name, args=json.dumps(args), status=TODO, attempts=0, run_after=_now()
            )
        )

    def enqueue_unless_waiting(self, name: str, args: dict) -> None:
        # SQLite has one writer at a time (BEGIN IMMEDIATE), so nothing slips in between the
        # look and the insert. A periodic run waiting has the same name, so it counts too.
        q = queued_jobs.c
        waiting = sa.select(q.id).where(q.name == name, q.status == TODO).limit(1)
        if self.session.execute(waiting).first() is None:
            self.enqueue(name, args)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process by that number
        return True
    return True


def requeue_abandoned(engine: sa.Engine, host: str | None = None) -> int:
    """Jobs left ``doing`` by a process of this host that is gone: queued again."""
    host = host or socket.gethostname()
    q = queued_jobs.c
    with engine.begin() as connection:
        doing = connection.execute(sa.select(q.id, q.runner).where(q.status == DOING)).all()
        dead = []
        for job_id, runner in doing:
            name, _, pid = runner.rpartition(":")
            if not pid.isdigit() or (name == host and not _alive(int(pid))):
                dead.append(job_id)
        if dead:
            connection.execute(
                queued_jobs.update().where(q.id.in_(dead)).values(status=TODO, runner="")
            )
    return len(dead)


class InProcessRunner(threading.Thread):
    """Runs queued jobs and the periodic ones, one at a time, every ``poll`` seconds."""

    def __init__(
        self,
        engine: sa.Engine,
        context: jobs.JobContext,
        *,
        poll: float = 1.0,
        run: Callable[[jobs.JobContext, str, dict], None] = jobs.run_job,
    ) -> None:
        super().__init__(name="skillcard-jobs", daemon=True)
        self.engine, self.context, self.poll, self._run = engine, context, poll, run
        self.periodic = jobs.periodic_jobs(context)
        self.stopping = threading.Event()
        self.name_of_runner = runner_name()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling; a job in hand is finished first (up to ``timeout`` seconds)."""
        self.stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def run(self) -> None:
        requeue_abandoned(self.engine)
        while not self.stopping.is_set():
            try:
                self.enqueue_due(self.context.clock.now())
                while not self.stopping.is_set() and self.run_one():
                    pass
            except Exception:  # a broken round must not stop the next
                log.exception("the job runner failed a round")
            self.stopping.wait(self.poll)

    def enqueue_due(self, now: dt.datetime) -> list[str]:
        """Enqueue each periodic job whose last due time is recent and not yet enqueued."""
        queued = []
        for periodic in self.periodic:
            due = croniter(periodic.cron, now).get_prev(dt.datetime)
            if now - due > LATE:
                continue
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        periodic_runs.insert().values(name=periodic.name, due_at=due)
                    )
                    old = periodic_runs.c.due_at < now - dt.timedelta(days=1)
                    connection.execute(periodic_runs.delete().where(old))  # kept a day, no more
                    connection.execute(
                        queued_jobs.insert().values(
                            name=periodic.name, args="{}", status=TODO, attempts=0, run_after=_now()
                        )
                    )
            except exc.IntegrityError:
                continue  # another process enqueued this run
            queued.append(periodic.name)
        return queued

    def run_one(self) -> bool:
        """Claim the oldest job due and run it; False when none is due."""
        q = queued_jobs.c
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(q.id, q.name, q.args)
                .where(q.status == TODO, q.run_after <= _now())
                .order_by(q.id)
                .limit(1)
            ).first()
            if row is None:
                return False
            connection.execute(
                queued_jobs.update()
                .where(q.id == row.id)
                .values(status=DOING, runner=self.name_of_runner, attempts=q.attempts + 1)
            )
        try:
            self._run(self.context, row.name, json.loads(row.args))
        except Exception as error:  # said where the asker looks; here, kept for the operator
            log.exception("job %s (%s) failed", row.id, row.name)
            with self.engine.begin() as connection:
                connection.execute(
                    queued_jobs.update()
                    .where(q.id == row.id)
                    .values(status=FAILED, error=str(error)[:500] or type(error).__name__)
                )
            return True
        with self.engine.begin() as connection:
            connection.execute(queued_jobs.delete().where(q.id == row.id))
        return True
