"""Online check benchmark: ``skillcard serve`` answering number + surname checks under load,
against a bare Starlette + psycopg reference on the same rows.

    .venv/bin/python bench/check_online.py [--cards 2100000] [--reuse] [--seconds 30]
        [--rate 1000] [--closed-seconds 15] [--connections 32] [--redis] [--profile DIR]

In one run:

1. Prepares the PostgreSQL database ``skillcard_bench_check`` (dropped and made again unless
   ``--reuse`` finds it already filled): schema, reference data and N synthetic cards
   (``seed_registry``, fixed seed and day). On reuse, the migrations made since are applied
   and the check log and rate counters of earlier runs are emptied, so every run starts
   alike. Picks a sample of (number, surname) pairs from the database: 90% real pairs, 10% a
   real number with someone else's surname.
2. Starts ``skillcard serve --workers 2 --no-access-log`` on 127.0.0.1 (the reference runs
   without an access log too), with the anonymous rate limit raised
   through the environment so that the bench measures checking, not refusals (the limiter
   itself still counts every check, as in production).
3. From a separate process (``load_generator.py``: asyncio on uvloop, raw HTTP/1.1 with
   keep-alive), sends
   ``GET /api/v1/check?number=&surname=``: (a) open loop at ``--rate`` per second for
   ``--seconds``, each latency counted from when its request was due, so queueing shows,
   with the seconds of the run that held most answers over 5 ms (a tail spread out, or a
   stall);
   (b) closed loop, as fast as ``--connections`` connections allow, for ``--closed-seconds``.
   For each loop, the CPU per answer of the server's workers, of PostgreSQL and of the
   generator, and the CPU the host took meanwhile (``proc_cpu.py``).
4. Does the same against ``bench/reference_check_app.py`` under uvicorn with 2 workers.
5. Prints the goals (issue 3, "Figures") and whether each is met.

Everything listens on 127.0.0.1 only; every loop has a time limit; the servers are stopped on
the way out.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

# bench/ is on sys.path: this file is run as a script
from load_generator import generate
from proc_cpu import CpuMeter, named

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
DATABASE = "skillcard_bench_check"
DEFAULT_URL = f"postgresql+psycopg://postgres@/{DATABASE}?host=/var/run/postgresql"
TODAY = dt.date(2026, 1, 15)  # the seed's day, fixed so every build makes the same rows
SEED = 2026
HUGE_LIMIT = 1_000_000_000  # anonymous checks per window: never reached in a run
WRONG_SURNAME_SHARE = 0.10
GOAL_P99_MS = 5.0
GOAL_SHARE_OF_REFERENCE = 0.5


# --------------------------------------------------------------------------------------------
# The database and the sample


def prepare_database(url: str, cards: int, reuse: bool) -> str:
    import sqlalchemy as sa

    from skillcard.adapters.db.engine import make_engine
    from skillcard.adapters.db.migrate import upgrade
    from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
    from skillcard.services.demo.seed import seed_registry
    from skillcard.services.registry.reference_data import (
        install_reference_data,
        read_reference_data,
    )

    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).scalar()
    if reuse and exists:
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                have = connection.exec_driver_sql("SELECT count(*) FROM cards").scalar()
                if have:
                    connection.exec_driver_sql("TRUNCATE checks, rate_limit_counters")
        except sa.exc.DBAPIError:
            have = 0
        if have:
            upgrade(engine)  # a database built by older code gets the migrations since
        engine.dispose()
        if have:
            admin.dispose()
            return f"reused {target.database}: {have:,} cards (check log and rate counters emptied)"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()
    engine = make_engine(url)
    try:
        upgrade(engine)
        with SqlAlchemyUnitOfWork(engine) as uow:
            install_reference_data(uow, read_reference_data())
            uow.commit()
        print(f"seeding {cards:,} cards into {target.database} ...", flush=True)
        summary = seed_registry(
            uow=SqlAlchemyUnitOfWork(engine), cards=cards, schemes=38, seed=SEED, today=TODAY
        )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE cardholders")
            connection.exec_driver_sql("VACUUM ANALYZE cards")
    finally:
        engine.dispose()
    return (
        f"built {target.database}: {summary.cards:,} cards, {summary.cardholders:,} "
        f"cardholders, seeded in {summary.seconds:.1f} s"
    )


def pick_sample(url: str, size: int) -> list[tuple[bytes, bool]]:
    """Request targets (path bytes) and whether each should match a card."""
    from skillcard.adapters.db.engine import make_engine
    from skillcard.domain.names import surname_key

    rng = random.Random(SEED)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            top = connection.exec_driver_sql("SELECT max(id) FROM cards").scalar()
            ids = rng.sample(range(1, top + 1), min(size, top))
            rows = connection.exec_driver_sql(
                "SELECT c.number, h.surname FROM cards c"
                " JOIN cardholders h ON h.id = c.cardholder_id WHERE c.id = ANY(%s)",
                (ids,),
            ).all()
    finally:
        engine.dispose()
    rng.shuffle(rows)
    sample = []
    for number, surname in rows:
        match = rng.random() >= WRONG_SURNAME_SHARE
        if not match:
            other = surname
            while surname_key(other) == surname_key(surname):
                other = rng.choice(rows)[1]
            surname = other
        query = urllib.parse.urlencode({"number": number, "surname": surname})
        sample.append((f"/api/v1/check?{query}".encode(), match))
    return sample


# --------------------------------------------------------------------------------------------
# Servers


class Server:
    """A server process of ours, in its own process group so that its workers stop with it."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log: Path) -> None:
        self.name, self.port, self.log = name, port, log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=self._log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def wait_until_answering(self, path: bytes, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} stopped on start; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 "):
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def workers(self) -> list[int]:
        """The worker processes' ids (children of uvicorn's supervisor, not the tracker)."""
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            try:
                found += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
        workers = []
        for pid in found:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                workers.append(pid)
        return workers

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own group, made at start
                self.process.wait(timeout=10)
        self._log_file.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# The run


def measure(name, server, generator, sample, args, profile_dir) -> dict:
    warm = sample[: max(1, len(sample) // 10)]
    generator.submit(generate, "closed", server.port, warm, connections=8, seconds=2).result()
    spies = []
    if profile_dir is not None:
        for pid in server.workers():
            out = profile_dir / f"{name}-{pid}.txt"  # collapsed stacks, one per line
            spies.append(subprocess.Popen(
                [str(VENV_BIN / "py-spy"), "record", "-p", str(pid), "-d", str(int(args.seconds)),
                 "-r", "100", "-f", "raw", "--gil", "-o", str(out), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
    meter = _meter(name, server)
    try:
        opened = generator.submit(
            generate, "open", server.port, sample,
            rate=args.rate, seconds=args.seconds, slow_ms=GOAL_P99_MS,
        ).result()  # fmt: skip
    finally:
        for spy in spies:
            spy.wait(timeout=args.seconds + 60)
    _line(f"{name}, open loop {args.rate:,.0f}/s for {args.seconds:.0f} s", opened, meter)
    time.sleep(3)  # let an overloaded server drain what it still holds before the next phase
    meter = _meter(name, server)
    closed = generator.submit(
        generate, "closed", server.port, sample,
        connections=args.connections, seconds=args.closed_seconds,
    ).result()  # fmt: skip
    _line(
        f"{name}, closed loop, {args.connections} connections, {args.closed_seconds:.0f} s",
        closed,
        meter,
    )
    return {"open": opened, "closed": closed}


def _meter(name: str, server: Server) -> CpuMeter:
    return CpuMeter({f"{name}'s workers": server.workers, "PostgreSQL": lambda: named("postgres")})


def _line(label: str, r: dict, meter: CpuMeter) -> None:
    kinds = ", ".join(f"{k} {v}" for k, v in r["error_kinds"].items())
    print(f"  {label}:")
    print(f"    achieved {r['rate']:8,.0f} req/s   p50 {r['p50']:7.2f} ms   "
          f"p99 {r['p99']:8.2f} ms   max {r['max']:8.1f} ms   "
          f"errors {r['errors']:,}{f' ({kinds})' if kinds else ''}   "
          f"[{r['answered']:,} answered of {r['sent']:,}; {r['connections']} connections; "
          f"wrong answers {r['wrong']}]", flush=True)  # fmt: skip
    # Where the CPU went: a server that needs more per check has less headroom for bursts.
    spent = {**meter.used(), "the generator": r["generator_cpu"]}
    answered = max(1, r["answered"])
    shares = ", ".join(f"{who} {cpu / answered * 1000:.2f} ms" for who, cpu in spent.items())
    print(f"    CPU per answer: {shares}; taken by the host (steal): {meter.stolen():.1f} s")
    if r["slow_seconds"]:  # where the tail is: spread out, or bunched in a stall
        worst = ", ".join(f"second {s} ({n:,})" for s, n in r["slow_seconds"])
        print(f"    answers over {GOAL_P99_MS:g} ms: {len(r['slow_at']):,}, most in {worst}")


def main() -> None:
    args = _arguments()
    print(f"skillcard online check benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}", flush=True)  # fmt: skip
    print(prepare_database(args.postgres_url, args.cards, args.reuse), flush=True)
    sample = pick_sample(args.postgres_url, args.sample)
    real = sum(1 for _t, m in sample if m)
    print(f"sample: {len(sample):,} checks, {real:,} real number+surname pairs, "
          f"{len(sample) - real:,} real numbers with someone else's surname")  # fmt: skip
    print(
        "the load generator is a separate process on the same 2 cores as the servers and "
        "PostgreSQL: it takes CPU from them, and its own delays count in the latencies"
    )
    logs = Path(tempfile.mkdtemp(prefix="check_online_"))
    profile_dir = Path(args.profile).resolve() if args.profile else None
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
    results, servers = {}, []
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as generator:
        try:
            redis_url = None
            if args.redis:
                redis_port = free_port()
                servers.append(Server(
                    "redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                    dict(os.environ), redis_port, logs / "redis.log",
                ))  # fmt: skip
                time.sleep(0.5)
                redis_url = f"redis://127.0.0.1:{redis_port}/0"
            if not args.skip_skillcard:
                env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCARD_")}
                env.update({
                    "SKILLCARD_DATABASE_URL": args.postgres_url,
                    "SKILLCARD_ENVIRONMENT": "development",
                    "SKILLCARD_CHECK_RATE_LIMIT_ANONYMOUS": str(HUGE_LIMIT),
                })  # fmt: skip
                if redis_url:
                    env["SKILLCARD_REDIS_URL"] = redis_url
                print(f"skillcard serve --workers 2: SKILLCARD_CHECK_RATE_LIMIT_ANONYMOUS="
                      f"{HUGE_LIMIT:,} per window, so no check is refused; the rate counter "
                      f"is still kept for every check, in "
                      f"{'Redis' if redis_url else 'PostgreSQL (no SKILLCARD_REDIS_URL)'}; "
                      f"server log: {logs / 'skillcard.log'}", flush=True)  # fmt: skip
                server = Server(
                    "skillcard",
                    [str(VENV_BIN / "skillcard"), "serve", "--port", str(args.port),
                     "--workers", "2", "--no-access-log"],
                    env, args.port, logs / "skillcard.log",
                )  # fmt: skip
                servers.append(server)
                server.wait_until_answering(sample[0][0])
                results["skillcard"] = measure("skillcard", server, generator, sample, args,
                                               profile_dir)  # fmt: skip
                server.stop()
                if args.baseline:
                    print(f"baseline ({args.baseline} serve --workers 2, same settings):",
                          flush=True)  # fmt: skip
                    server = Server(
                        "baseline",
                        [args.baseline, "serve", "--port", str(args.port), "--workers", "2",
                         "--no-access-log"],
                        env, args.port, logs / "baseline.log",
                    )  # fmt: skip
                    servers.append(server)
                    server.wait_until_answering(sample[0][0])
                    results["baseline"] = measure("baseline", server, generator, sample, args,
                                                  None)  # fmt: skip
                    server.stop()
            if not args.skip_reference:
                env = dict(os.environ, SKILLCARD_DATABASE_URL=args.postgres_url)
                print("reference (bench/reference_check_app.py, Starlette + psycopg, "
                      "uvicorn --workers 2):", flush=True)  # fmt: skip
                server = Server(
                    "reference",
                    [str(VENV_BIN / "uvicorn"), "--app-dir", str(BENCH),
                     "reference_check_app:app", "--host", "127.0.0.1",
                     "--port", str(args.reference_port), "--workers", "2",
                     "--no-access-log", "--log-level", "warning"],
                    env, args.reference_port, logs / "reference.log",
                )  # fmt: skip
                servers.append(server)
                server.wait_until_answering(sample[0][0])
                results["reference"] = measure("reference", server, generator, sample, args,
                                               profile_dir)  # fmt: skip
                server.stop()
        finally:
            for server in reversed(servers):
                server.stop()
    _goals(results, args)


def _side_by_side(results: dict) -> None:
    """skillcard against the baseline (another checkout's serve), one row each, same run."""
    print(
        "| server | open loop rate/s | open p99 ms | closed loop rate/s | closed p99 ms | errors |"
    )
    print("|---|---|---|---|---|---|")
    for name in ("skillcard", "baseline"):
        if name in results:
            o, c = results[name]["open"], results[name]["closed"]
            print(f"| {name} | {o['rate']:,.0f} | {o['p99']:.2f} | {c['rate']:,.0f} | "
                  f"{c['p99']:.2f} | {o['errors'] + c['errors']} |")  # fmt: skip


def _goals(results: dict, args) -> None:
    if "baseline" in results:
        _side_by_side(results)

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print("goals (issue 3):")
    own = results.get("skillcard")
    ref = results.get("reference")
    if own:
        o, c = own["open"], own["closed"]
        print(f"  p99 < {GOAL_P99_MS:.0f} ms at {args.rate:,.0f}/s: p99 {o['p99']:.2f} ms, "
              f"{o['rate']:,.0f}/s achieved: {mark(o['p99'] < GOAL_P99_MS)}")  # fmt: skip
        errors = o["errors"] + c["errors"]
        print(f"  no errors: {errors:,} errors: {mark(errors == 0)}")
        if ref:
            share = c["rate"] / ref["closed"]["rate"]
            print(f"  max rate at least {GOAL_SHARE_OF_REFERENCE:.0%} of the reference's: "
                  f"{c['rate']:,.0f}/s against {ref['closed']['rate']:,.0f}/s = {share:.0%}: "
                  f"{mark(share >= GOAL_SHARE_OF_REFERENCE)}")  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=2_100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database if filled")
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=30.0, help="of the open loop")
    parser.add_argument("--rate", type=float, default=1000.0, help="of the open loop, per s")
    parser.add_argument("--closed-seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32, help="of the closed loop")
    parser.add_argument("--sample", type=int, default=20_000, help="distinct checks")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--reference-port", type=int, default=8101)
    parser.add_argument("--redis", action="store_true",
                        help="start a local redis-server and keep skillcard's rate counters "
                        "there (SKILLCARD_REDIS_URL)")  # fmt: skip
    parser.add_argument("--skip-skillcard", action="store_true")
    parser.add_argument(
        "--baseline",
        metavar="SKILLCARD",
        help="another checkout's skillcard command (e.g. /work/main/.venv/bin/skillcard): "
        "served and measured the same way just after this one, and printed beside it",
    )
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy each worker during the open loop (collapsed stacks, GIL holder only)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
