"""The job queue: jobs enqueued in the transaction that asks for them (PostgreSQL's
Procrastinate), a bulk check whose worker is killed with SIGKILL finished by another with every
row once (its upload and result in the database's file store, which every host reaches), and
the embedded queue (SQLite) running jobs and periodic runs in-process."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.tables_jobs import bulk_result_rows, queued_jobs
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.file_stores import DatabaseFileStore, LocalFileStore
from skillcard.adapters.jobs.table_queue import InProcessRunner, requeue_abandoned
from skillcard.domain.business import BulkStatus
from skillcard.services import jobs
from skillcard.services.business import bulk_check, bulk_results, business_checks
from tests.factories import approve_business, build_registry, business_budget
from tests.integration.test_business import register

BUDGET = business_budget()


@pytest.fixture
def postgres_url(postgres_database_url):
    return postgres_database_url


@pytest.fixture
def embedded(_sqlite_template, tmp_path):
    """The embedded default's database (its queue is the table; PostgreSQL's is above)."""
    engine = make_engine(_sqlite_template.copy_to(tmp_path / "embedded.db"))
    yield engine, lambda read_only=False: SqlAlchemyUnitOfWork(engine, read_only=read_only)
    engine.dispose()


def _procrastinate_jobs(engine) -> list:
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT task_name, args->>'job_id' FROM procrastinate_jobs ORDER BY id"
        ).all()


def test_a_job_is_committed_with_its_change_and_rolled_back_with_it(postgres_url):
    engine = make_engine(postgres_url)
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.jobs.enqueue(jobs.BULK_CHECK, {"job_id": "rolled-back"})
        uow.rollback()
    assert _procrastinate_jobs(engine) == []
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.jobs.enqueue(jobs.BULK_CHECK, {"job_id": "kept"})
        uow.commit()
    assert _procrastinate_jobs(engine) == [(jobs.BULK_CHECK, "kept")]
    engine.dispose()


def _wait(predicate, what: str, limit: float = 180.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting: {what}")


def _worker(url, files_dir):
    env = {
        **os.environ,
        "SKILLCARD_DATABASE_URL": url,
        "SKILLCARD_FILES_DIR": str(files_dir),
        "SKILLCARD_FILE_STORE": "database",
        "SKILLCARD_ENVIRONMENT": "test",
        "SKILLCARD_JOB_STALLED_SECONDS": "2",
        "SKILLCARD_AUDIT_CHECKPOINT_MINUTES": "0",
    }
    command = [sys.executable, "-m", "skillcard.cli", "worker", "--concurrency", "1"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_bulk_check_whose_worker_is_killed_is_finished_by_another_with_every_row_once(
    postgres_url, tmp_path
):
    engine = make_engine(postgres_url)
    uows = lambda read_only=False: SqlAlchemyUnitOfWork(engine, read_only=read_only)  # noqa: E731
    registry = build_registry(uows)
    business_id, admin = register(uows)
    approve_business(uows, business_id)
    files = DatabaseFileStore(engine)
    rows = 40 * bulk_check.BATCH
    body = "".join(f"{registry.cards['bob']},Smith,row{i}\n" for i in range(rows))
    source = tmp_path / "upload.csv"  # as the serving process spools it
    source.write_text("number,surname,label\n" + body, encoding="utf-8")
    files.put("uploads", bulk_results.upload_key("killed"), source.read_bytes())
    job = bulk_check.start_bulk(
        uow=uows(), who=admin, budget=BUDGET, filename="in.csv", source=source, job_id="killed"
    )

    def progress():
        return bulk_check.job_status(uow=uows(), who=admin, job_id=job.id)

    first = _worker(postgres_url, tmp_path / "files")
    try:
        _wait(lambda: progress().done_rows >= 2 * bulk_check.BATCH, "the first batches")
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        first.kill()
    halfway = progress()
    assert halfway.status == BulkStatus.RUNNING and 0 < halfway.done_rows < rows
    second = _worker(postgres_url, tmp_path / "files")
    try:
        done = _wait(lambda: (j := progress()).status == BulkStatus.DONE and j, "the end")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)
    assert done.done_rows == done.valid_rows == rows
    published = files.get("results", bulk_results.result_key(job.id))
    assert published is not None  # where every host finds it
    out = io.StringIO(published.decode("utf-8-sig"), newline="")
    labels = [row["label"] for row in csv.DictReader(out)]
    assert labels == [f"row{i}" for i in range(rows)]  # each row once, in the file's order
    history = business_checks.history(uow=uows(), who=admin, limit=rows * 2)
    assert len(history) == rows  # no row checked twice, none lost
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(bulk_result_rows)).scalar()
            == 0
        )
    assert not files.exists("uploads", bulk_results.upload_key(job.id))
    engine.dispose()


def _context(uow_factory, folder, **values):
    return jobs.JobContext(
        uow_factory=uow_factory, public_url="http://x", files=LocalFileStore(folder),
        budget=BUDGET, **values,
    )  # fmt: skip


def test_the_embedded_queue_runs_a_committed_job_and_never_a_rolled_back_one(tmp_path, embedded):
    engine, uow_factory = embedded
    registry = build_registry(uow_factory)
    business_id, admin = register(uow_factory)
    approve_business(uow_factory, business_id)
    folder = tmp_path / "files"
    source = tmp_path / "upload.csv"
    source.write_text(f"number,surname\n{registry.cards['bob']},Smith\n", encoding="utf-8")
    LocalFileStore(folder).put("uploads", bulk_results.upload_key("j1"), source.read_bytes())
    with uow_factory() as uow:
        uow.jobs.enqueue(jobs.BULK_CHECK, {"job_id": "never"})
        uow.rollback()
    job = bulk_check.start_bulk(
        uow=uow_factory(), who=admin, budget=BUDGET, filename="in.csv", source=source, job_id="j1"
    )
    ran = []

    def run(context, name, args):
        ran.append(args["job_id"])
        jobs.run_job(context, name, args)

    context = _context(uow_factory, folder, alerts_hour_utc=None)
    runner = InProcessRunner(engine, context, run=run)
    assert runner.run_one() and not runner.run_one()
    assert ran == ["j1"]
    seen = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    assert seen.status == BulkStatus.DONE and seen.done_rows == 1
    with engine.connect() as connection:  # a job done leaves no row
        assert connection.execute(sa.select(queued_jobs.c.id)).all() == []


def test_a_job_left_doing_by_a_dead_process_is_queued_again(embedded):
    engine, _ = embedded
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        for runner in ("here:999999999", f"here:{os.getpid()}", "elsewhere:999999999"):
            connection.execute(
                queued_jobs.insert().values(
                    name=jobs.OUTBOX, args="{}", status="doing", attempts=1, run_after=now,
                    runner=runner,
                )
            )  # fmt: skip
    assert requeue_abandoned(engine, host="here") == 1  # another host's are its own to judge
    with engine.connect() as connection:
        rows = connection.execute(sa.select(queued_jobs.c.runner, queued_jobs.c.status)).all()
    assert sorted(rows) == sorted(
        [("", "todo"), (f"here:{os.getpid()}", "doing"), ("elsewhere:999999999", "doing")]
    )


def test_a_periodic_run_is_enqueued_once_however_many_runners_poll(embedded, tmp_path):
    engine, uow_factory = embedded
    context = _context(uow_factory, tmp_path, alerts_hour_utc=6, checkpoint_minutes=0)
    one, two = InProcessRunner(engine, context), InProcessRunner(engine, context)
    six = dt.datetime(2026, 12, 7, 6, 0, 30, tzinfo=dt.UTC)
    assert sorted(one.enqueue_due(six)) == sorted([jobs.ALERTS, jobs.FILES_PURGE, jobs.EXPIRY_NEAR])
    assert two.enqueue_due(six + dt.timedelta(seconds=5)) == []  # the same run: already queued
    assert one.enqueue_due(six + dt.timedelta(hours=2)) == []  # long missed: skipped
    with engine.connect() as connection:
        names = connection.execute(sa.select(queued_jobs.c.name)).scalars().all()
    assert sorted(names) == sorted([jobs.ALERTS, jobs.FILES_PURGE, jobs.EXPIRY_NEAR])


def test_a_worker_runs_every_job_and_the_periodic_ones_the_settings_ask_for(tmp_path):
    from skillcard.adapters.jobs import procrastinate_queue

    context = _context(None, tmp_path, alerts_hour_utc=6, checkpoint_minutes=15, post=print)
    app = procrastinate_queue.build_app(context, "postgresql+psycopg://u@/db?host=/tmp")
    assert set(jobs.JOB_NAMES) <= set(app.tasks)
    periodic = {(p.periodic_id, p.cron) for p in app.periodic_registry.periodic_tasks.values()}
    assert periodic == {
        (jobs.ALERTS, "0 6 * * *"),
        (jobs.FILES_PURGE, "0 6 * * *"),
        (jobs.EXPIRY_NEAR, "0 6 * * *"),
        (jobs.WEBHOOKS, "* * * * * */30"),
        (jobs.CHECKPOINT, "*/15 * * * *"),
        (procrastinate_queue.STALLED_CHECK, "* * * * * */10"),
    }  # no outbox job without SMTP
    tasks = [t.task for t in app.periodic_registry.periodic_tasks.values()]
    assert None not in [t.queueing_lock for t in tasks]  # no pile-up behind a slow run
    assert None not in [t.lock for t in tasks]  # and never two runs of one at once


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_at_most_one_job_waits_when_asked_unless_waiting(database, request):
    """``enqueue_unless_waiting``: one job waits however often it is asked, in one transaction
    or many; one already started does not count; a rolled-back ask leaves nothing."""
    if database == "sqlite":
        engine, _ = request.getfixturevalue("embedded")
        count = "SELECT status FROM queued_jobs WHERE name = 'webhooks.deliver'"
        start = "UPDATE queued_jobs SET status = 'doing'"
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
        count = "SELECT status FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver'"
        start = "UPDATE procrastinate_jobs SET status = 'doing'"

    def statuses() -> list:
        with engine.connect() as connection:
            return sorted(connection.exec_driver_sql(count).scalars().all())

    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.jobs.enqueue_unless_waiting(jobs.WEBHOOKS, {})
        uow.rollback()
    assert statuses() == []
    for _ in range(2):
        with SqlAlchemyUnitOfWork(engine) as uow:
            uow.jobs.enqueue_unless_waiting(jobs.WEBHOOKS, {})
            uow.jobs.enqueue_unless_waiting(jobs.WEBHOOKS, {})
            uow.jobs.enqueue(jobs.OUTBOX, {})  # the transaction goes on after a refusal
            uow.commit()
    assert statuses() == ["todo"]
    with engine.begin() as connection:
        connection.exec_driver_sql(start)  # a worker has it: it may have looked already
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.jobs.enqueue_unless_waiting(jobs.WEBHOOKS, {})
        uow.commit()
    assert statuses() == ["doing", "todo"]
    if database == "postgresql":
        engine.dispose()
