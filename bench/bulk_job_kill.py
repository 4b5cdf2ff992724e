"""A bulk check job whose worker is killed half way: PostgreSQL, Procrastinate, two workers.

    .venv/bin/python bench/bulk_job_kill.py [--cards 200000] [--rows 50000] [--postgres-url URL]

Seeds N synthetic cards (as bench/load.py does), registers a business, writes a CSV of
``--rows`` rows (bench/bulk_check.py's mix: 90% real, 5% wrong surname, 5% bad check digit)
and opens the job as an upload does (the file put in the database's file store, the job
enqueued in the same transaction, so any host's worker can run it). A worker
(`skillcard worker`, a separate process) runs it; at half the rows it is killed with SIGKILL;
a second worker starts at once and, once the first one's heartbeat is stale
(SKILLCARD_JOB_STALLED_SECONDS, 3 here), takes the job again and goes on. Prints when each
step happened, and checks the end: every row once in the result, in the file's order, and
each checked row once in the business's history. Then the same file run by one worker
unharmed, for the rate, and with no job at all (answers written straight to a file, as the
command line does), for what the resumable result costs. The PostgreSQL database named in
the URL is dropped and created again.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
import load
from bulk_check import BUDGET, _business, _sample, _write_csv

from skillcard.adapters.db.tables_business import business_checks
from skillcard.adapters.db.tables_jobs import bulk_result_rows
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.file_stores import DatabaseFileStore
from skillcard.services.business import bulk_check, bulk_results

DEFAULT_URL = "postgresql+psycopg://postgres@/skillcard_bench_jobs?host=/var/run/postgresql"
STALLED = 3


def main() -> None:
    args = _arguments()
    print(f"skillcard bulk job kill benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"{args.cards:,} cards, {args.rows:,} rows")  # fmt: skip
    engine = load._fresh_postgres(args.postgres_url)
    load._install_reference(engine)
    load._seed(engine, args.cards, "PostgreSQL")
    _, who = _business(engine)
    uows = lambda read_only=False: SqlAlchemyUnitOfWork(engine, read_only=read_only)  # noqa: E731
    store = DatabaseFileStore(engine)
    with tempfile.TemporaryDirectory() as directory:
        files = Path(directory) / "files"
        folder = Path(directory) / "spool"
        folder.mkdir(parents=True)
        sample = _sample(engine, args.rows)
        killed = _job(uows, who, store, folder, sample, args.rows, "killed")
        _killed_half_way(args, uows, who, killed, files)
        _verify(engine, uows, who, store, killed, args.rows)
        whole = _job(uows, who, store, folder, sample, args.rows, "whole")
        _unharmed(args, uows, who, whole, files)
        _verify(engine, uows, who, store, whole, args.rows)
        _without_a_job(uows, who, folder, sample, args.rows)
    engine.dispose()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    return parser.parse_args()


def _job(uows, who, store, folder: Path, sample, rows: int, name: str) -> str:
    source = _write_csv(folder / f"{name}.csv", sample, rows)
    store.put("uploads", bulk_results.upload_key(name), source.read_bytes())
    job = bulk_check.start_bulk(
        uow=uows(), who=who, budget=BUDGET, filename=f"{name}.csv", source=source, job_id=name
    )
    return job.id


def _worker(args, files: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "SKILLCARD_DATABASE_URL": args.postgres_url,
        "SKILLCARD_FILES_DIR": str(files),
        "SKILLCARD_FILE_STORE": "database",
        "SKILLCARD_ENVIRONMENT": "test",
        "SKILLCARD_JOB_STALLED_SECONDS": str(STALLED),
        "SKILLCARD_AUDIT_CHECKPOINT_MINUTES": "0",
        "SKILLCARD_BUSINESS_CHECKS_PER_DAY": str(10**9),
    }
    command = [sys.executable, "-m", "skillcard.cli", "worker", "--concurrency", "1"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _status(uows, who, job_id):
    return bulk_check.job_status(uow=uows(), who=who, job_id=job_id)


def _until(predicate, limit: float = 600.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise SystemExit("gave up waiting")


def _killed_half_way(args, uows, who, job_id: str, files: Path) -> None:
    print(f"\nA {args.rows:,}-row job, its worker killed (SIGKILL) at half way")
    started = time.monotonic()
    first = _worker(args, files)
    _until(lambda: _status(uows, who, job_id).done_rows >= args.rows // 2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    at_kill = _status(uows, who, job_id)
    print(f"  worker 1 killed after {killed_at - started:5.1f} s with "
          f"{at_kill.done_rows:,} rows committed (status {at_kill.status})")  # fmt: skip
    second = _worker(args, files)
    try:
        _until(lambda: _status(uows, who, job_id).done_rows > at_kill.done_rows)
        resumed_at = time.monotonic()
        print(f"  worker 2 went on {resumed_at - killed_at:5.1f} s after the kill (stalled "
              f"after {STALLED} s of silence), from row {at_kill.done_rows:,}")  # fmt: skip
        done = _until(lambda: (j := _status(uows, who, job_id)).status == "done" and j)
        print(f"  done {time.monotonic() - killed_at:5.1f} s after the kill: "
              f"{done.done_rows:,} rows, {done.valid_rows:,} valid, "
              f"{done.error_rows:,} errors")  # fmt: skip
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)


def _unharmed(args, uows, who, job_id: str, files: Path) -> None:
    print(f"\nThe same {args.rows:,} rows, one worker left alone")
    worker = _worker(args, files)
    try:
        started = time.monotonic()
        _until(lambda: _status(uows, who, job_id).status == "running")
        running = time.monotonic()
        _until(lambda: _status(uows, who, job_id).status == "done")
        ended = time.monotonic()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
    print(
        f"  picked up {running - started:4.1f} s after the worker started (its start "
        f"included); ran {ended - running:5.1f} s ({args.rows / (ended - running):,.0f} rows/s)"
    )


def _without_a_job(uows, who, folder: Path, sample, rows: int) -> None:
    """The same rows in this process with no job (the command line's way: answers straight to
    the file, no result rows kept): what keeping the rows for a resume costs."""
    source = _write_csv(folder / "plain.csv", sample, rows)
    started = time.perf_counter()
    bulk_check.run_bulk(
        uow_factory=uows, who=who, source=source, result=folder / "plain.result.csv",
        business_id=who.business_id, budget=BUDGET,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    print(f"\nThe same {rows:,} rows with no job (the command line's way, in this process): "
          f"{seconds:5.1f} s ({rows / seconds:,.0f} rows/s)")  # fmt: skip


def _verify(engine, uows, who, store, job_id: str, rows: int) -> None:
    published = store.get("results", bulk_results.result_key(job_id)) or b""
    out = io.StringIO(published.decode("utf-8-sig"), newline="")
    labels = [row["label"] for row in csv.DictReader(out)]
    in_order = labels == [f"worker {n}" for n in range(rows)]
    job = _status(uows, who, job_id)
    with engine.connect() as connection:
        c = business_checks.c
        logged = connection.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(c.id)))
            .select_from(business_checks)
            .where(c.bulk_job_id == job_id)
        ).one()
        left = connection.execute(
            sa.select(sa.func.count()).select_from(bulk_result_rows)
        ).scalar_one()
    checked = rows - job.error_rows  # a malformed number is answered, not checked
    print(f"  result: {len(labels):,} rows, each once and in order: {in_order}; history: "
          f"{logged[0]:,} checks for {checked:,} checked rows (none twice: "
          f"{logged[0] == checked}); result rows left in the database: {left}")  # fmt: skip


if __name__ == "__main__":
    main()
