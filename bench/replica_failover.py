"""Public checks while the primary stops (issue 16, item 4): ``skillcard serve`` with
SKILLCARD_READ_DATABASE_URL on a throwaway primary and its streaming replica (built as the
tests build them: ``initdb``, ``pg_basebackup -R -X stream``), a steady stream of checks, the
primary stopped, then started again.

    .venv/bin/python bench/replica_failover.py [--cards 20000] [--rate 60] [--seconds 24]

Prints, second by second, the checks answered, the errors and the slowest answer; then the
errors after the stop, how long after the stop the first check was answered, and whether every
check answered is in the primary's check log once the spool has drained (none lost, none
twice). The primary is stopped a third of the way through and started at two thirds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replica_support import _free_port, build_pair  # noqa: E402

from skillcard.adapters.db.engine import make_engine  # noqa: E402
from skillcard.adapters.db.migrate import upgrade  # noqa: E402
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork  # noqa: E402
from skillcard.services.demo.seed import seed_registry  # noqa: E402
from skillcard.services.registry.reference_data import (  # noqa: E402
    install_reference_data,
    read_reference_data,
)


def prepare(url: str, cards: int) -> list[str]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with SqlAlchemyUnitOfWork(engine) as uow:
            install_reference_data(uow, read_reference_data())
            uow.commit()
        seed_registry(
            uow=SqlAlchemyUnitOfWork(engine), cards=cards, seed=7, today=dt.date(2026, 12, 1)
        )
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT c.number, h.surname FROM cards c JOIN cardholders h "
                "ON h.id = c.cardholder_id ORDER BY random() LIMIT 500"
            ).all()
    finally:
        engine.dispose()
    return [f"/api/v1/check?{httpx.QueryParams(number=n, surname=s)}" for n, s in rows]


def logged_checks(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT count(*) FROM checks").scalar()
    finally:
        engine.dispose()


async def drive(port: int, paths: list[str], rate: int, seconds: float, pair) -> list[tuple]:
    """Checks at ``rate`` a second; the primary stopped at a third, started at two thirds.
    Each answer as (second, ok, latency)."""
    answers: list[tuple] = []
    start = time.monotonic()
    stop_at, start_at = seconds / 3, 2 * seconds / 3
    events: dict[str, float] = {}
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:

        async def one(path: str) -> None:
            sent = time.monotonic()
            why = ""
            try:
                answer = await client.get(path, timeout=5)
                why = "" if answer.status_code == 200 else f"HTTP {answer.status_code}"
            except httpx.HTTPError as error:
                why = type(error).__name__
            answers.append((sent - start, not why, time.monotonic() - sent, why))

        tasks = []
        for n in range(int(rate * seconds)):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            now = time.monotonic() - start
            if now >= stop_at and "stopped" not in events:
                events["stopped"] = now
                await asyncio.to_thread(pair.primary.stop)
                events["stop_took"] = time.monotonic() - start - now
            if now >= start_at and "started" not in events:
                events["started"] = now
                await asyncio.to_thread(pair.primary.start)
            tasks.append(asyncio.create_task(one(random.choice(paths))))
        await asyncio.gather(*tasks)
    answers.sort()
    return answers, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=24.0)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="skillcard-replica-bench-"))
    pair = build_pair(base)
    server = None
    try:
        print(f"primary :{pair.primary.port}, replica :{pair.replica.port} (in {base})")
        paths = prepare(pair.primary.url, args.cards)
        pair.caught_up()
        port = _free_port()
        env = {
            **os.environ,
            "SKILLCARD_ENVIRONMENT": "development",
            "SKILLCARD_DATABASE_URL": pair.primary.url,
            "SKILLCARD_READ_DATABASE_URL": pair.replica.url,
            "SKILLCARD_CHECK_SPOOL": str(base / "check-spool.db"),
            "SKILLCARD_FILES_DIR": str(base / "files"),
            "SKILLCARD_CHECK_RATE_LIMIT_ANONYMOUS": "100000000",
            "SKILLCARD_ALERTS_DAILY": "false",
        }
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/skillcard"), "serve", "--port", str(port), "--no-access-log"],
            env=env, cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(200):
            try:
                # a page that logs nothing: the count of logged checks starts after it
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        before = logged_checks(pair.primary.url)
        answers, events = asyncio.run(drive(port, paths, args.rate, args.seconds, pair))
        report(answers, events)
        deadline = time.monotonic() + 60
        spool = base / "check-spool.db"
        logged = 0
        while time.monotonic() < deadline:
            try:
                logged = logged_checks(pair.primary.url) - before
            except sa.exc.OperationalError:
                logged = 0
            if logged >= sum(1 for a in answers if a[1]):
                break
            time.sleep(0.5)
        answered = sum(1 for a in answers if a[1])
        verdict = "none lost, none twice" if logged == answered else "DIFFERENT"
        print(f"check log on the primary after the spool drained: {logged:,} lines for "
              f"{answered:,} checks answered ({verdict}); spool file "
              f"{spool.stat().st_size if spool.exists() else 0:,} bytes")  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        for cluster in (pair.replica, pair.primary):
            if cluster.running():
                cluster.stop()
        subprocess.run(["rm", "-rf", str(base)], check=False)


def report(answers: list[tuple], events: dict) -> None:
    print(f"primary stopped at {events['stopped']:.1f} s (pg_ctl stop took "
          f"{events['stop_took']:.2f} s), started at {events['started']:.1f} s")  # fmt: skip
    print(" second  answered  errors  slowest ms")
    by_second: dict[int, list] = {}
    for second, ok, latency, _why in answers:
        by_second.setdefault(int(second), []).append((ok, latency))
    for second, got in sorted(by_second.items()):
        errors = sum(1 for ok, _ in got if not ok)
        slowest = max(latency for _, latency in got) * 1000
        print(f" {second:6d}  {len(got) - errors:8d}  {errors:6d}  {slowest:10.1f}")
    after = [a for a in answers if a[0] >= events["stopped"]]
    down = [a for a in after if a[0] < events["started"]]
    first_ok = next((a for a in after if a[1]), None)
    print(f"while the primary was down: {len(down):,} checks, "
          f"{sum(1 for a in down if not a[1]):,} errors")  # fmt: skip
    if first_ok is not None:
        print(f"first check answered after the stop: sent {first_ok[0] - events['stopped']:.3f} s "
              f"after it, answered in {first_ok[2] * 1000:.1f} ms")  # fmt: skip
    print(f"errors in the whole run: {sum(1 for a in answers if not a[1]):,} of {len(answers):,}")
    for when, _, latency, why in (a for a in answers if not a[1]):
        print(f"  sent at {when:.2f} s: {why} after {latency * 1000:.0f} ms")
    spread = answers[-1][0] - answers[0][0] if answers else 0.0
    print(f"checks sent at {len(answers) / max(spread, 1e-9):.0f}/s on average (one asyncio "
          "process sends them: on a busy machine it falls behind the rate asked)")  # fmt: skip


if __name__ == "__main__":
    main()
