"""A scheme's import of card records into a hub that already holds 2.1 million cards.

    createdb -U postgres -h /var/run/postgresql -T skillcard_bench_check_rule connector_bench
    .venv/bin/python bench/import.py [--url URL] [--rows 100000] [--small 10000]

Prints, on PostgreSQL: the time to import ``--rows`` new ECS cards through the connector's
service (the same path as the API's job and ``skillcard import``), against a bare ``COPY`` of
the same card rows into a copy of the cards table (as a ratio); the peak memory of an import of
``--small`` rows and of ``--rows`` rows (each in its own process: memory should stay flat); and
a second import of the same file (everything unchanged). Goal: under 60 s, second under 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

URL = "postgresql+psycopg://postgres@/connector_bench?host=/var/run/postgresql"


def make_file(url: str, rows: int, path: Path) -> None:
    from skillcard.adapters.db.engine import make_engine
    from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork

    engine = make_engine(url)
    with SqlAlchemyUnitOfWork(engine) as uow:
        scheme = uow.schemes.by_code("ECS")
        first = uow.schemes.next_serial(scheme.id, rows)  # numbers the hub will not reuse
        code = uow.card_types.for_scheme(scheme.id)[0].code
        fmt = scheme.number_format
        uow.commit()
    with path.open("w") as out:
        for i in range(rows):
            out.write(json.dumps({
                "scheme": "ECS", "number": fmt.number_for(first + i), "version": 1,
                "holder_ref": f"B{first + i}", "given_names": "Bench",
                "surname": f"Holder{i % 997}",
                "date_of_birth": "1985-05-05", "card_type": code, "issued_on": "2026-01-01",
                "expires_on": "2029-01-01", "status": "active", "status_reason": "",
            }) + "\n")  # fmt: skip
    engine.dispose()


def run_once(url: str, path: Path) -> None:
    """One import in this process: prints seconds, counts and peak RSS as JSON."""
    from skillcard.adapters.db.engine import make_engine
    from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
    from skillcard.domain.accounts import Principal
    from skillcard.services.registry import card_imports

    engine = make_engine(url)

    def uows(read_only: bool = False) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, read_only=read_only)

    who, import_id = Principal.operator(), uuid.uuid4().hex
    started = time.perf_counter()
    card_imports.open_import(uow=uows(), who=who, scheme_code="ECS", import_id=import_id,
                             filename=path.name, source=path, queue=False)  # fmt: skip
    done = card_imports.run_import(uow_factory=uows, who=who, import_id=import_id, source=path)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss, cpu = usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime
    counts = {k: getattr(done, k) for k in ("status", "created", "unchanged", "refused")}
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": rss, **counts}))


def bare_copy(url: str, path: Path) -> float:
    """COPY of the same card rows into a temporary copy of the cards table (rolled back)."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    rows = [json.loads(line) for line in path.open()]
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TEMP TABLE cards_copy (LIKE cards INCLUDING ALL)")
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY cards_copy (id, scheme_id, card_type_id, cardholder_id, number, issued_on, "
                "expires_on, status, status_reason, source_version) FROM STDIN"
            ) as copy,
        ):
            for i, r in enumerate(rows):
                copy.write_row((10**8 + i, 1, 1, 1, r["number"], r["issued_on"], r["expires_on"],
                                r["status"], "", "n1"))  # fmt: skip
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds


def child(url: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--url", url, "--once", str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=URL)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--once")
    args = parser.parse_args()
    if args.once:
        run_once(args.url, Path(args.once))
        return
    from skillcard.adapters.db.engine import make_engine
    from skillcard.adapters.db.migrate import upgrade

    upgrade(make_engine(args.url))
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    small, large = folder / "small.ndjson", folder / "large.ndjson"
    make_file(args.url, args.small, small)
    make_file(args.url, args.rows, large)
    name = args.url.split("?")[0].rsplit("/", 1)[-1]
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"hub: {name}; load average {load} on {os.cpu_count()} cores (figures are rough)")
    small_run = child(args.url, small)
    print(f"import of {args.small:,} new cards: {small_run['seconds']:.1f} s")
    first = child(args.url, large)
    copy = bare_copy(args.url, large)
    print(f"import of {args.rows:,} new cards: {first['seconds']:.1f} s (goal < 60 s; the "
          f"importing process's own CPU {first['cpu']:.1f} s), {first['created']:,} created, "
          f"{first['refused']} refused")  # fmt: skip
    ratio = first["seconds"] / copy
    print(f"bare COPY of the same card rows: {copy:.2f} s; the import takes {ratio:.0f}x that")
    again = child(args.url, large)
    print(f"the same file again: {again['seconds']:.1f} s (goal < 20 s; CPU {again['cpu']:.1f} s), "
          f"{again['unchanged']:,} unchanged, {again['created']} created")  # fmt: skip
    print(f"peak RSS: {small_run['rss_mb']} MB at {args.small:,} rows, "
          f"{first['rss_mb']} MB at {args.rows:,} rows")  # fmt: skip


if __name__ == "__main__":
    main()
