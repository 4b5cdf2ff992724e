"""What the business check budget costs a business's checks: single checks one after another
(the service the page and the API call), with the budget and without it, on a smaller registry.

    .venv/bin/python bench/business_budget.py [--cards 100000] [--checks 3000] [--rounds 4]
        [--postgres-url URL] [--skip-sqlite] [--skip-postgres] [--redis]

For each database (PostgreSQL, then a SQLite file): seeds N synthetic cards as bench/load.py
does, registers an approved business, then times ``--checks`` calls of
``business_checks.check_for_business`` (90% right surnames, 10% wrong), in rounds that
alternate "before" (the budget's two calls, ``spend`` and ``note_outcomes``, replaced by
nothing: the code as it was) and "after" (the budget drawn as served: database counters, or
Redis with ``--redis``), so both see the same caches and the same machine load. Prints the
checks per second of each and the cost of the budget; goal under 5%.

The full-size figure of the online check (bench/check_online.py, 2.1 million cards) is not
changed by this: the anonymous and signed-in public check does not draw on a business's budget.
The PostgreSQL database named in the URL is dropped and created again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import load
import sqlalchemy as sa
from bulk_check import _business, _sample

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.rate_limits import DatabaseBudgetCounter, RedisBudgetCounter
from skillcard.config import Settings
from skillcard.services.business import business_budget, business_checks
from skillcard.services.business.business_budget import Budget

DEFAULT_URL = "postgresql+psycopg://postgres@/skillcard_bench_budget?host=/var/run/postgresql"
# Allowances the bench never reaches, with checks taken ahead as many at a time as with the
# default allowance (2,000 a minute: 40), and no-matches counted as with the default burst.
RULES = Settings(business_checks_per_day=10**9, business_checks_per_minute=10**6).budget_rules()
LEASE = Settings().business_checks_per_minute // business_budget.LEASE_SHARE
business_budget.LEASE_SHARE = RULES.approved.per_minute // LEASE


def main() -> None:
    args = _arguments()
    print(f"skillcard business budget benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, {args.cards:,} cards, {args.checks:,} checks "
          f"x {args.rounds} rounds each way, {LEASE} checks taken ahead at a time")  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        if not args.skip_postgres:
            engine = load._fresh_postgres(args.postgres_url)
            _bench(engine, "PostgreSQL", args)
            engine.dispose()
        if not args.skip_sqlite:
            engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
            upgrade(engine)
            _bench(engine, "SQLite", args)
            engine.dispose()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--redis", action="store_true", help="count in Redis, not the database")
    return parser.parse_args()


def _bench(engine, label: str, args) -> None:
    print(f"\n{label}")
    load._install_reference(engine)
    load._seed(engine, args.cards, label)
    _, who = _business(engine)
    chance = random.Random(3)
    asked = [(n, s if chance.random() < 0.9 else "Wrongname") for n, s in _sample(engine, 2000)]
    counter = (
        RedisBudgetCounter.from_url("redis://127.0.0.1:6379/0", prefix="bench:budget:")
        if args.redis
        else DatabaseBudgetCounter()
    )
    budget = Budget(RULES, counter)
    uows = lambda: SqlAlchemyUnitOfWork(engine)  # noqa: E731
    _round(uows, who, budget, asked, 300, with_budget=True)  # warm the caches
    _round(uows, who, budget, asked, 300, with_budget=False)
    rates, cpu = {False: [], True: []}, {False: [], True: []}
    statements = {False: 0, True: 0}
    counting = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: counting.append(1))
    for _ in range(args.rounds):
        for with_budget in (False, True):
            counting.clear()
            started = time.process_time()
            rates[with_budget].append(
                _round(uows, who, budget, asked, args.checks, with_budget=with_budget)
            )
            cpu[with_budget].append((time.process_time() - started) / args.checks * 1000)
            statements[with_budget] += len(counting)
    before, after = statistics.median(rates[False]), statistics.median(rates[True])
    cost = 100 * (before - after) / before
    cpu_before, cpu_after = statistics.median(cpu[False]), statistics.median(cpu[True])
    where = "Redis" if args.redis else "the database"
    print(f"  before (no budget):       {before:8,.0f} checks/s (median of {args.rounds} rounds: "
          f"{', '.join(f'{r:,.0f}' for r in rates[False])})")  # fmt: skip
    print(f"  after (budget in {where}): {after:8,.0f} checks/s (median of {args.rounds} rounds: "
          f"{', '.join(f'{r:,.0f}' for r in rates[True])})")  # fmt: skip
    print(f"  the budget costs {cost:.1f}% of the rate (goal < 5%): "
          f"{'met' if cost < 5 else 'NOT met'}")  # fmt: skip
    # On a busy machine the wall-clock rate swings by tens of percent from round to round;
    # this process's CPU time per check (the service, SQLAlchemy, the driver) swings less.
    per = args.checks * args.rounds
    print(f"  SQL statements per check (COMMIT not counted): {statements[False] / per:.2f} "
          f"before, {statements[True] / per:.2f} after")  # fmt: skip
    print(f"  this process's CPU per check: {cpu_before:.2f} ms before, {cpu_after:.2f} ms "
          f"after ({100 * (cpu_after - cpu_before) / cpu_before:+.1f}%)")  # fmt: skip


def _round(uows, who, budget, asked, checks: int, *, with_budget: bool) -> float:
    spend, note = business_checks.spend, business_checks.note_outcomes
    if not with_budget:  # the code as it was before the budget
        business_checks.spend = business_checks.note_outcomes = lambda *a, **k: None
    try:
        started = time.perf_counter()
        for n in range(checks):
            number, surname = asked[n % len(asked)]
            business_checks.check_for_business(
                uow=uows(), who=who, budget=budget, number=number, surname=surname
            )
        return checks / (time.perf_counter() - started)
    finally:
        business_checks.spend, business_checks.note_outcomes = spend, note


if __name__ == "__main__":
    main()
