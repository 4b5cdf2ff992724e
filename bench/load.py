"""Load benchmark: ``skillcard seed`` against a bare PostgreSQL COPY of the same rows.

    .venv/bin/python bench/load.py [--cards 2100000] [--postgres-url URL] [--skip-sqlite]

Prints, for N synthetic cards: the seed time on PostgreSQL; the time of a bare ``COPY ... FROM``
of exactly the rows it wrote (exported with ``COPY ... TO``, tables truncated, same columns,
indexes and constraints); their ratio (the figure to reach is 2x or less); card look-up by
number through ``show_card`` (p50 and p99 of 10,000); and the seed time into a SQLite file.
The PostgreSQL database named in the URL is dropped and created again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.domain.accounts import Principal
from skillcard.domain.schemes import CardCategory, CardType, Scheme
from skillcard.services.demo.seed import (
    CARD_COLUMNS,
    ENTRY_COLUMNS,
    HOLDER_COLUMNS,
    SeedSummary,
    seed_registry,
)
from skillcard.services.registry.cards import show_card

DEFAULT_URL = "postgresql+psycopg://postgres@/skillcard_bench?host=/var/run/postgresql"
TODAY = dt.date(2026, 1, 15)  # fixed, so that every run makes the same rows
SEED = 2026
TABLES = (
    ("cardholders", HOLDER_COLUMNS),
    ("cards", CARD_COLUMNS),
    ("status_entries", ENTRY_COLUMNS),  # each card's random status list entry
)


def main() -> None:
    args = _arguments()
    print(f"skillcard load benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, {args.cards:,} cards")  # fmt: skip
    engine = _fresh_postgres(args.postgres_url)
    try:
        print(f"reference data: {_install_reference(engine)}")
        summary = _seed(engine, args.cards, "PostgreSQL")
        _print_summary(summary)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak memory of this process so far: {peak:,.0f} MB")
        copy_seconds = _bare_copy(engine)
        print(f"bare COPY of the same rows:  {copy_seconds:8.1f} s")
        print(f"seed / bare COPY:            {summary.seconds / copy_seconds:8.2f}x  (goal <= 2x)")
        _lookups(engine, args.lookups)
    finally:
        engine.dispose()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            sqlite = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
            upgrade(sqlite)
            _install_reference(sqlite)
            _seed(sqlite, args.cards, "SQLite")
            sqlite.dispose()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=2_100_000)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--lookups", type=int, default=10_000)
    return parser.parse_args()


def _fresh_postgres(url: str) -> sa.Engine:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    return engine


def _install_reference(engine: sa.Engine) -> str:
    """The real reference data if its loader is there, else 38 sample schemes."""
    try:
        from skillcard.services.registry.reference_data import (
            install_reference_data,
            read_reference_data,
        )
    except ImportError:
        install_reference_data = None
    with SqlAlchemyUnitOfWork(engine) as uow:
        if install_reference_data is not None:
            install_reference_data(uow, read_reference_data())
            described = "skillcard/data (services.reference_data)"
        else:
            _sample_schemes(uow)
            described = "38 sample schemes (reference_data not importable)"
        uow.commit()
    return described


def _sample_schemes(uow) -> None:
    codes = ["ECS"] + [f"SAMPLE{n:02d}" for n in range(2, 39)]
    for n, code in enumerate(codes):
        prefix = "ECS" if code == "ECS" else "Q" + chr(ord("A") + n // 26) + chr(65 + n % 26)
        scheme = Scheme(
            code=code, name=f"{code} (sample)", operator="", number_prefix=prefix, sample=True
        )
        uow.schemes.add(scheme)
        for ct_code, months in (("SKILLED", 60), ("APPRENTICE", 48), ("TRAINEE", 24)):
            card_type = CardType(
                scheme_id=scheme.id,
                code=ct_code,
                title=ct_code.title(),
                category=CardCategory.SKILLED,
                validity_months=months,
                sample=True,
            )
            uow.card_types.add(card_type)


def _seed(engine: sa.Engine, cards: int, label: str) -> SeedSummary:
    summary = seed_registry(
        uow=SqlAlchemyUnitOfWork(engine), cards=cards, schemes=38, seed=SEED, today=TODAY
    )
    print(f"seed into {label + ':':<18} {summary.seconds:8.1f} s  "
          f"({summary.cards / summary.seconds:,.0f} cards/s)")  # fmt: skip
    return summary


def _print_summary(s: SeedSummary) -> None:
    print(f"  {s.cardholders:,} cardholders, {s.cards:,} cards: {s.expired:,} expired, "
          f"{s.expiring_soon:,} expiring within 90 days, {s.suspended:,} suspended, "
          f"{s.revoked:,} revoked")  # fmt: skip
    largest = sorted(s.per_scheme.items(), key=lambda item: -item[1])[:3]
    print("  largest schemes: " + ", ".join(f"{code} {n:,} cards" for code, n in largest))


def _bare_copy(engine: sa.Engine) -> float:
    """Export the seeded rows, empty the tables, and time COPY putting them back."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        with tempfile.TemporaryDirectory() as directory:
            files = {table: Path(directory) / f"{table}.copy" for table, _ in TABLES}
            with connection.cursor() as cursor:
                for table, columns in TABLES:
                    _export(cursor, table, columns, files[table])
                # CASCADE only because users may refer to cardholders: it holds no rows here.
                cursor.execute("TRUNCATE status_entries, cards, cardholders CASCADE")
            connection.commit()
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for table, columns in TABLES:
                    _import(cursor, table, columns, files[table])
            connection.commit()
            seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE cardholders")
                cursor.execute("ANALYZE cards")
            connection.commit()
        return seconds
    finally:
        raw.close()


def _export(cursor, table: str, columns, path: Path) -> None:
    with (
        path.open("wb") as out,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) TO STDOUT") as copy,
    ):
        for data in copy:
            out.write(data)


def _import(cursor, table: str, columns, path: Path) -> None:
    with (
        path.open("rb") as source,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        while data := source.read(1 << 20):
            copy.write(data)


def _lookups(engine: sa.Engine, count: int) -> None:
    with engine.connect() as connection:
        top = connection.exec_driver_sql("SELECT MAX(id) FROM cards").scalar()
        ids = random.Random(SEED).sample(range(1, top + 1), min(count, top))
        numbers = connection.execute(
            sa.text("SELECT number FROM cards WHERE id = ANY(:ids)"), {"ids": ids}
        ).scalars().all()  # fmt: skip
    who, uow = Principal.operator(), SqlAlchemyUnitOfWork(engine, read_only=True)
    show_card(uow=uow, who=who, number=numbers[0], today=TODAY)  # warm the pool and mappers
    timings = []
    for number in numbers:
        started = time.perf_counter()
        show_card(uow=uow, who=who, number=number, today=TODAY)
        timings.append(time.perf_counter() - started)
    cuts = statistics.quantiles(timings, n=100)
    print(f"look-up by number (show_card, {len(timings):,}): "
          f"p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
