"""Bulk check benchmark: a CSV of card numbers and surnames against 2.1 million cards.

    .venv/bin/python bench/bulk_check.py [--cards 2100000] [--rows 10000] [--postgres-url URL]
                                         [--skip-sqlite] [--skip-postgres] [--reuse]

For each database (PostgreSQL, then a SQLite file): seeds N synthetic cards as bench/load.py
does, registers a business, writes a CSV of ``--rows`` rows (90% real cards with the right
surname, 5% a wrong surname, 5% malformed numbers) and times ``services.bulk_check.run_bulk``
for that business, as the page and the API run it: lookups in batches of 500, every check
written to the business's history and the check log, result CSV written. Goal: under 2 s.
Then the peak Python memory (tracemalloc) of a 5,000-row and a 50,000-row run, after a
warm-up run: goal flat.
The PostgreSQL database named in the URL is dropped and created again, and the SQLite file
made in a temporary folder, unless ``--reuse`` finds them already seeded (the SQLite file is
then kept at ``--sqlite-path``): seeding takes minutes, the timed runs seconds, so a quiet
moment on a shared machine can be spent on the runs alone.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
import load

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.rate_limits import DatabaseBudgetCounter
from skillcard.config import Settings
from skillcard.domain.accounts import Principal, Role
from skillcard.domain.business import Business
from skillcard.services.business.bulk_check import run_bulk
from skillcard.services.business.business_budget import Budget

DEFAULT_URL = "postgresql+psycopg://postgres@/skillcard_bench_bulk?host=/var/run/postgresql"


def main() -> None:
    args = _arguments()
    print(f"skillcard bulk check benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, {args.cards:,} cards, {args.rows:,} rows")  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        if not args.skip_postgres:
            if args.reuse and _exists(args.postgres_url):
                engine = make_engine(args.postgres_url)
                upgrade(engine)
            else:
                engine = load._fresh_postgres(args.postgres_url)
            _bench(engine, "PostgreSQL", args, folder)
            engine.dispose()
        if not args.skip_sqlite:
            path = Path(args.sqlite_path) if args.reuse else folder / "bench.db"
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)
            _bench(engine, "SQLite", args, folder)
            engine.dispose()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=2_100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep seeded databases")
    parser.add_argument("--sqlite-path", default="/tmp/skillcard_bench_bulk.db")
    return parser.parse_args()


def _exists(url: str) -> bool:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"))
    with admin.connect() as connection:
        found = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).first()
    admin.dispose()
    return found is not None


def _seeded(engine: sa.Engine, cards: int) -> bool:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM cards")).scalar_one() >= cards


def _bench(engine: sa.Engine, label: str, args, folder: Path) -> None:
    print(f"\n{label}")
    if args.reuse and _seeded(engine, args.cards):
        print(f"  reusing the {args.cards:,} cards already seeded")
    else:
        load._install_reference(engine)
        load._seed(engine, args.cards, label)
    business_id, who = _business(engine)
    sample = _sample(engine, args.rows)
    uows = lambda: SqlAlchemyUnitOfWork(engine)  # noqa: E731
    source = _write_csv(folder / "rows.csv", sample, args.rows)
    _run(uows, who, business_id, source, folder / "warm.csv")  # warm the caches once
    seconds = []
    for attempt in range(3):
        started = time.perf_counter()
        summary = _run(uows, who, business_id, source, folder / f"out{attempt}.csv")
        seconds.append(time.perf_counter() - started)
    print(f"  {args.rows:,} rows: best {min(seconds):.2f} s, worst {max(seconds):.2f} s "
          f"of 3 runs ({args.rows / min(seconds):,.0f} rows/s; goal < 2 s)")  # fmt: skip
    print(f"    {summary.valid:,} valid, {summary.not_valid:,} not valid, "
          f"{summary.errors:,} errors")  # fmt: skip
    # A first 50,000-row run warms SQLAlchemy's and the driver's statement caches (bounded,
    # they fill as batches of new shapes arrive), so the two runs compare the file's cost.
    _run(uows, who, business_id, _write_csv(folder / "warm50.csv", sample, 50_000), folder / "w")
    for rows in (5_000, 50_000, 5_000, 50_000):  # twice each: the garbage collector's timing
        path = _write_csv(folder / f"mem{rows}.csv", sample, rows)
        tracemalloc.start()
        tracemalloc.reset_peak()
        _run(uows, who, business_id, path, folder / "mem-out.csv")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  peak Python memory of a {rows:>6,}-row run: {peak / 2**20:6.1f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of this process so far (seeding included): {rss:,.0f} MB")


# The business's check budget is drawn as the pages and the API draw it, with an allowance
# large enough for every run of the bench (about 200,000 rows).
BUDGET = Budget(Settings(business_checks_per_day=10**9).budget_rules(), DatabaseBudgetCounter())


def _run(uows, who, business_id, source: Path, result: Path):
    return run_bulk(
        uow_factory=uows,
        who=who,
        source=source,
        result=result,
        business_id=business_id,
        budget=BUDGET,
    )


def _business(engine) -> tuple[int, Principal]:
    with SqlAlchemyUnitOfWork(engine) as uow:
        found = uow.businesses.by_company_number("01234567")  # a reused database's
        if found is not None:
            return found.id, Principal(
                label="bench", role=Role.BUSINESS_ADMIN, business_id=found.id
            )
        found = Business(
            name="Bench Builders",
            company_number="01234567",
            address="Leeds",
            created_at=dt.datetime.now(dt.UTC),
            confirmed=True,
            approved=True,
        )
        uow.businesses.add(found)
        uow.commit()
        return found.id, Principal(label="bench", role=Role.BUSINESS_ADMIN, business_id=found.id)


def _sample(engine, rows: int) -> list[tuple[str, str]]:
    """Real (number, surname) pairs spread over the whole table, by random ids."""
    c, h = sa.table("cards", sa.column("id"), sa.column("number"), sa.column("cardholder_id")), None
    h = sa.table("cardholders", sa.column("id"), sa.column("surname"))
    with engine.connect() as connection:
        top = connection.execute(sa.select(sa.func.max(c.c.id))).scalar_one()
        ids = random.Random(7).sample(range(1, top + 1), min(rows, top))
        found = []
        for start in range(0, len(ids), 1000):
            found += connection.execute(
                sa.select(c.c.number, h.c.surname)
                .join(h, h.c.id == c.c.cardholder_id)
                .where(c.c.id.in_(ids[start : start + 1000]))
            ).all()
    return [tuple(r) for r in found]


def _write_csv(path: Path, sample, rows: int) -> Path:
    chance = random.Random(11)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "surname", "scheme", "label"])
        for n in range(rows):
            number, surname = sample[n % len(sample)]
            roll = chance.random()
            if roll < 0.05:
                surname = "Wrongname"
            elif roll < 0.10:
                number = number[:-1] + str((int(number[-1]) + 1) % 10)  # a bad check digit
            writer.writerow([number, surname, "", f"worker {n}"])
    return path


if __name__ == "__main__":
    main()
