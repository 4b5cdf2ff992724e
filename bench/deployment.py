"""Several hosts, with faults (issue 16, item 5): the deployment of deploy/netns.py (two
application hosts, a worker host and a spare, HAProxy, a PostgreSQL primary and replica,
Redis, each in a network namespace), driven through HAProxy while its parts are killed.

    sudo .venv/bin/python bench/deployment.py [--rate 500] [--seconds 20] [--rows 50000]
                                              [--cards 20000] [--app-workers 2] [--reuse]

1. Public checks at ``--rate`` a second through HAProxy; at a quarter of the run one
   application host is killed (SIGKILL to its process group, mid-request). Then it is
   started again.
2. A ``--rows`` bulk check uploaded through HAProxy (a business's token, the API); its worker
   host is killed at half way, a worker on the spare host takes the job over once the first
   one's heartbeat is stale (SKILLCARD_JOB_STALLED_SECONDS, 3 here); the result downloaded
   through HAProxy must hold every row exactly once, in the file's order.
3. Public checks again; at a quarter of the run the PostgreSQL primary is stopped
   (``pg_ctl -m immediate``): the checks must go on from the replica.

Every check request is accounted for: per second, how many were due, answered, failed and
why, and the slowest 1%; each failure with when it was due and why. The figures the issue
asks for are printed at the end of each part. Everything is torn down on the way out, even
on failure (``--reuse`` drives a deployment already up and leaves it up).

A benchmark, not a test: building the deployment alone takes a minute or more on a busy
machine (PostgreSQL twice, 20,000 cards, five servers), too long for the suite; its figures
and what they prove are in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import csv
import gc
import io
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from deploy import netns  # noqa: E402

LB_HOST, LB_PORT = netns.HOSTS["sc-lb"], netns.LB_PORT
TIMEOUT = 10.0  # seconds: a check unanswered this long counts as failed ("timeout")
SLOW_MS = 20.0
MAX_CONNECTIONS = 256
SHOWN = 40  # failures listed one by one; the rest are in the table's counts


# -- the load: an open loop from a process of its own, every request kept -------------------
async def _open_loop(targets: list[bytes], rate: float, seconds: float) -> list[tuple]:
    from raw_http import connect

    records: list[tuple] = []  # (due s from the start, latency s or None, what happened)
    idle: asyncio.Queue = asyncio.Queue()
    opened, every = [0], []

    async def ask(request: bytes, held: list):
        if idle.empty() and opened[0] < MAX_CONNECTIONS:
            opened[0] += 1
            try:
                connection = await connect(LB_PORT, every, host=LB_HOST)
            except OSError:
                opened[0] -= 1
                raise
        else:
            connection = await idle.get()
        held.append(connection)
        return await connection.send(request)

    async def one(request: bytes, due: float) -> None:
        """Every request ends in the records: answered, refused, cut off, or not answered
        within TIMEOUT of when it was due (waiting for a free connection included)."""
        held: list = []
        try:
            status, _ = await asyncio.wait_for(ask(request, held), due + TIMEOUT - perf_counter())
        except (TimeoutError, OSError) as error:
            if isinstance(error, TimeoutError):
                why = f"no answer within {TIMEOUT:.0f} s"
            elif isinstance(error, ConnectionRefusedError):
                why = "connection refused"
            elif isinstance(error, ConnectionError):
                why = "connection closed"
            else:
                why = type(error).__name__
            records.append((due - start, None, why))
            if held:
                opened[0] -= 1
                held[0].transport.close()
            return
        connection = held[0]
        what = "ok" if status == 200 else f"HTTP {status}"
        records.append((due - start, perf_counter() - due, what))
        if connection.closed:
            opened[0] -= 1
        else:
            idle.put_nowait(connection)

    start = perf_counter() + 0.05
    tasks = []
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(targets[i % len(targets)], due)))
    await asyncio.wait(tasks)  # each ends within TIMEOUT of when it was due
    for connection in every:
        connection.transport.close()
    return records


def generate(targets: list[bytes], rate: float, seconds: float) -> list[tuple]:
    """The generator process's entry point (no cycle collection while it runs: its pauses
    would be counted as the servers' latency)."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    gc.disable()
    return asyncio.run(_open_loop(targets, rate, seconds))


def drive(
    deployment, targets, rate: float, seconds: float, fault_at: float, fault
) -> tuple[list, float]:
    """The load for ``seconds``; ``fault()`` at ``fault_at`` s. The records, and when (s from
    the load's start) the fault was done. HAProxy's own lines for the run are summed up."""
    log = deployment.state / "haproxy.log"
    offset = log.stat().st_size
    try:
        return _drive(targets, rate, seconds, fault_at, fault)
    finally:
        time.sleep(0.5)
        with log.open("rb") as lines:
            lines.seek(offset)
            haproxy_view(lines.read().decode(errors="replace").splitlines())


def haproxy_view(lines: list[str]) -> None:
    """What HAProxy saw: requests by the host that answered (or was tried last), status,
    termination state ("--" a normal end; "SH": the server closed before its headers, "SC":
    the server refused or reset the connection) and whether it was sent again."""
    seen: dict[tuple, int] = {}
    for line in lines:
        part = line.split()
        if len(part) < 6 or part[0] != "hap" or part[1] == "<STATS>":
            continue
        server, status, state, retries = part[1], part[2], part[3], part[4]
        again = "sent again to the other host" if retries.startswith("+") else (
            f"tried {retries} more" if retries not in ("0", "") else ""
        )  # fmt: skip
        key = (server, status, state, again)
        seen[key] = seen.get(key, 0) + 1
    print("\n  HAProxy's view of the same requests (its log, one line each):")
    print("   host      status  end  count  ")
    for (server, status, state, again), count in sorted(seen.items()):
        print(f"   {server:8s}  {status:6s}  {state:3s}  {count:6d}  {again}")


def _drive(targets, rate: float, seconds: float, fault_at: float, fault) -> tuple[list, float]:
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        pool.submit(int, 0).result()  # the process started before the clock does
        started = perf_counter()
        future = pool.submit(generate, targets, rate, seconds)
        time.sleep(max(0.0, fault_at - (perf_counter() - started)))
        done_at = perf_counter() - started
        fault()
        return future.result(), done_at


def _targets(url: str) -> list[bytes]:
    import httpx
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("+psycopg", "+psycopg"))
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT c.number, h.surname FROM cards c JOIN cardholders h "
            "ON h.id = c.cardholder_id ORDER BY random() LIMIT 2000"
        ).all()
    engine.dispose()
    host = f"{LB_HOST}:{LB_PORT}".encode()
    return [
        b"GET /api/v1/check?%s HTTP/1.1\r\nHost: %s\r\n\r\n"
        % (str(httpx.QueryParams(number=n, surname=s)).encode(), host)
        for n, s in rows
    ]


# -- what happened to every request ---------------------------------------------------------
def _p99(latencies: list[float]) -> float:
    if not latencies:
        return float("nan")
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000


def account(records: list[tuple], fault_at: float, what: str) -> dict:
    """Print the per-second table and every failure; return the figures."""
    print(f"\n  {what} at {fault_at:.2f} s. Every request, by the second it was due:")
    print("   second   due  answered  failed  p99 ms  why failed")
    by_second: dict[int, list] = {}
    for record in records:
        by_second.setdefault(int(record[0]), []).append(record)
    for second in sorted(by_second):
        got = by_second[second]
        ok = [latency for _, latency, why in got if why == "ok"]
        whys: dict[str, int] = {}
        for _, _, why in got:
            if why != "ok":
                whys[why] = whys.get(why, 0) + 1
        mark = "  <- " + what if second == int(fault_at) else ""
        kinds = ", ".join(f"{kind}: {count}" for kind, count in whys.items())
        print(f"   {second:6d}  {len(got):4d}  {len(ok):8d}  {len(got) - len(ok):6d}  "
              f"{_p99(ok):6.1f}  {kinds}{mark}")  # fmt: skip
    failed = sorted(r for r in records if r[2] != "ok")
    for due, latency, why in failed[:SHOWN]:
        took = "" if latency is None else f" after {latency * 1000:.0f} ms"
        print(
            f"     failed: due at {due:7.3f} s ({due - fault_at:+.3f} s from the fault): "
            f"{why}{took}"
        )
    if len(failed) > SHOWN:
        print(f"     ... and {len(failed) - SHOWN:,} more failures (the table above counts them)")
    # in flight at the fault: due before it, answered (or failed) after it
    in_flight = sum(
        1
        for due, latency, _ in records
        if due < fault_at and (latency is None or due + latency > fault_at)
    )
    # p99 back under SLOW_MS: the first moment after the fault from which every 1-second
    # window (sliding by 100 ms) of answers has its p99 under the mark
    after = sorted(
        (due, latency) for due, latency, why in records if why == "ok" and due >= fault_at
    )
    end = max((r[0] for r in records), default=fault_at)
    recovered = None
    at = fault_at
    while at < end - 1:
        window = [latency for due, latency in after if at <= due < at + 1]
        if window and _p99(window) < SLOW_MS:
            if recovered is None:
                recovered = at
        else:
            recovered = None
        at += 0.1
    return {
        "requests": len(records),
        "failed": len(failed),
        "failed_kinds": sorted({why for _, _, why in failed}),
        "in_flight": in_flight,
        "recovered_after": None if recovered is None else recovered - fault_at,
        "last_failure_after": (failed[-1][0] - fault_at) if failed else None,
        "failed_after_fault": sum(1 for r in failed if r[0] >= fault_at),
        "p99_before": _p99([lat for due, lat, why in records if why == "ok" and due < fault_at]),
        "rate": len(records) / max(end, 1e-9),
    }


# -- the parts ------------------------------------------------------------------------------
def host_killed(deployment, targets, args) -> None:
    print(f"\n1. {args.rate} checks/s through HAProxy for {args.seconds:.0f} s; sc-app1 killed")
    fault_at = args.seconds / 4
    records, at = drive(
        deployment, targets, args.rate, args.seconds, fault_at, lambda: deployment.kill("sc-app1")
    )
    figures = account(records, at, "sc-app1 killed (SIGKILL, whole process group)")
    print(f"\n  {figures['requests']:,} checks sent at {figures['rate']:.0f}/s; p99 before "
          "the kill "
          f"{figures['p99_before']:.1f} ms; in flight at the kill (on either host): "
          f"{figures['in_flight']}; failed: {figures['failed']} "
          f"{figures['failed_kinds']}")  # fmt: skip
    back = figures["recovered_after"]
    print(
        "  p99 back under 20 ms (every 1-s window after) "
        + (f"{back:.1f} s after the kill" if back is not None else "NOT within the run")
    )
    deployment.start_app("sc-app1")
    deployment.wait_ready()
    print("  sc-app1 started again and up behind HAProxy")


def worker_killed(deployment, args) -> None:
    import httpx

    print(
        f"\n2. A {args.rows:,}-row bulk check uploaded through HAProxy; its worker killed at "
        "half way"
    )
    token = _business_token(deployment)
    auth = {"Authorization": f"Bearer {token}"}
    source = _bulk_file(deployment, args.rows)
    with httpx.Client(base_url=netns.LB_URL, headers=auth, timeout=60) as client:
        began = time.monotonic()
        answer = client.post(
            "/api/v1/business/bulk", files={"file": ("staff.csv", source, "text/csv")}
        )
        if answer.status_code != 202:
            raise SystemExit(f"the upload was refused: {answer.status_code} {answer.text[:300]}")
        job_id = answer.json()["id"]
        print(
            f"  uploaded ({len(source):,} bytes) in {time.monotonic() - began:.1f} s: job {job_id}"
        )

        def status() -> dict:
            return client.get(f"/api/v1/business/bulk/{job_id}").json()

        half = _until(lambda: (s := status())["done_rows"] >= args.rows // 2 and s)
        deployment.kill("sc-work1")
        killed = time.monotonic()
        print(f"  sc-work1 killed {killed - began:.1f} s after the upload, "
              f"{half['done_rows']:,} rows done before it")  # fmt: skip
        deployment.start_worker("sc-work2")
        at_kill = status()["done_rows"]
        _until(lambda: status()["done_rows"] > at_kill)
        print(
            f"  sc-work2 went on {time.monotonic() - killed:.1f} s after the kill, "
            f"from row {at_kill:,}"
        )
        done = _until(lambda: (s := status())["status"] in ("done", "failed") and s, limit=900)
        print(f"  {done['status']} {time.monotonic() - killed:.1f} s after the kill: "
              f"{done['done_rows']:,} rows, {done.get('valid_rows', 0):,} valid, "
              f"{done.get('error_rows', 0):,} errors {done.get('message') or ''}")  # fmt: skip
        result = client.get(f"/api/v1/business/bulk/{job_id}/result")
    labels = [
        row["label"] for row in csv.DictReader(io.StringIO(result.content.decode("utf-8-sig")))
    ]
    once = labels == [f"worker {n}" for n in range(args.rows)]
    print(f"  result through HAProxy: HTTP {result.status_code}, {len(labels):,} rows; "
          f"every row exactly once and in order: {once}")  # fmt: skip
    logged = _history(deployment, job_id)
    checked = args.rows - done.get("error_rows", 0)  # a malformed row is answered, not checked
    print(f"  the business's check history: {logged:,} bulk checks for {checked:,} checked rows "
          f"(a batch written twice or lost would show): equal: {logged == checked}")  # fmt: skip


def _history(deployment, job_id: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(deployment.pair.primary.url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT count(*) FROM business_checks WHERE bulk_job_id = %(job)s", {"job": job_id}
            ).scalar_one()
    finally:
        engine.dispose()


def primary_stopped(deployment, targets, args) -> None:
    print(
        f"\n3. {args.rate} checks/s through HAProxy for {args.seconds:.0f} s; the primary stopped"
    )
    fault_at = args.seconds / 4
    records, at = drive(
        deployment, targets, args.rate, args.seconds, fault_at, deployment.stop_primary
    )
    figures = account(records, at, "primary stopped (pg_ctl -m immediate)")
    last = figures["last_failure_after"]
    print(f"\n  {figures['requests']:,} checks sent at {figures['rate']:.0f}/s; failed: "
          f"{figures['failed']} {figures['failed_kinds']}")  # fmt: skip
    around = [lat for due, lat, why in records if why == "ok" and at <= due < at + 2]
    slowest = max(around, default=float("nan")) * 1000
    print(
        f"  the slowest check answered in the 2 s after the stop took {slowest:.0f} ms "
        "(the switch to the replica: its connections fail over as the primary's refuse)"
    )
    if last is None:
        print("  switch-over: no check failed at all")
    else:
        print(f"  the last failed check was due {last:.2f} s after the stop, 0 errors after it "
              "(the switch-over, or, on a machine that cannot carry the rate, its backlog: "
              "see the p99 before the stop)")  # fmt: skip
    back = figures["recovered_after"]
    print(
        "  p99 back under 20 ms (every 1-s window after) "
        + (f"{back:.1f} s after the stop" if back is not None else "NOT within the run")
    )


# -- helpers --------------------------------------------------------------------------------
def _until(predicate, limit: float = 600.0, every: float = 0.2):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(every)
    raise SystemExit("gave up waiting")


def _business_token(deployment) -> str:
    """An approved business and its admin, made on the primary as a hub admin would; the
    token asked for through HAProxy as a business's program does."""
    import datetime as dt

    import httpx

    from skillcard.adapters.db.engine import make_engine
    from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
    from skillcard.domain.accounts import Principal, Role
    from skillcard.domain.business import Business
    from skillcard.services.accounts import accounts

    engine = make_engine(deployment.pair.primary.url)
    email, password = f"bench-{random.randrange(10**9)}@builders.example", "a long bench password"
    with SqlAlchemyUnitOfWork(engine) as uow:
        business = Business(
            name="Bench Builders", company_number="01234567", address="Leeds",
            created_at=dt.datetime.now(dt.UTC), confirmed=True, approved=True,
        )  # fmt: skip
        uow.businesses.add(business)
        uow.commit()
        business_id = business.id
    hub = Principal(label="bench", role=Role.HUB_ADMIN)
    accounts.add_user(
        uow=SqlAlchemyUnitOfWork(engine), who=hub, email=email, display_name="Bench Admin",
        role=Role.BUSINESS_ADMIN.value, password=password, business_id=business_id,
    )  # fmt: skip
    engine.dispose()
    answer = httpx.post(
        f"{netns.LB_URL}/api/v1/tokens", json={"email": email, "password": password}, timeout=30
    )
    answer.raise_for_status()
    return answer.json()["token"]


def _bulk_file(deployment, rows: int) -> bytes:
    """bench/bulk_check.py's mix: 90% real cards, 5% wrong surname, 5% bad check digit."""
    from bulk_check import _sample, _write_csv

    from skillcard.adapters.db.engine import make_engine

    engine = make_engine(deployment.pair.primary.url)
    sample = _sample(engine, rows)
    engine.dispose()
    path = deployment.state / "bulk.csv"
    return _write_csv(path, sample, rows).read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--app-workers", type=int, default=netns.APP_WORKERS)
    parser.add_argument("--reuse", action="store_true", help="drive a deployment already up")
    parser.add_argument("--only", choices=["host", "worker", "primary"], action="append")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("network namespaces need root")
    load = os.getloadavg()
    print(f"skillcard deployment benchmark, {time.strftime('%Y-%m-%d %H:%M')} UTC, "
          f"{os.cpu_count()} cores, load average {load[0]:.1f} (a shared machine: "
          "every process of the deployment and the load generator on the same cores)")  # fmt: skip
    deployment = netns.Deployment()
    if not args.reuse and deployment.state.exists():
        raise SystemExit(f"{deployment.state} exists: `deploy/netns.py down` first")
    try:
        if not args.reuse:
            deployment.up(cards=args.cards, app_workers=args.app_workers)
        targets = _targets(deployment.pair.primary.url)
        parts = args.only or ["host", "worker", "primary"]
        if "host" in parts:
            host_killed(deployment, targets, args)
        if "worker" in parts:
            worker_killed(deployment, args)
        if "primary" in parts:
            primary_stopped(deployment, targets, args)
    finally:
        if not args.reuse:
            deployment.down()
            print("\ntorn down: processes ended, namespaces and bridge deleted")


if __name__ == "__main__":
    main()
