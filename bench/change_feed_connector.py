"""bench/change_feed.py's default mode: the changes made as a scheme's own system makes them,
``PUT /api/v1/schemes/ECS/cards/{number}`` with a connector's token, against a real
``skillcard serve`` on PostgreSQL; the reader follows ``GET /api/v1/changes?after=`` with the
same token and ``GET /api/v1/status-lists/ECS`` (the list the bundle publishes). With
``--webhook``, a scheme webhook posts to a local HTTPS receiver (tests/webhook_receiver.py,
its test-only loopback policy) from a Procrastinate worker running in this process, and the
column "webhook" is from the PUT's answer to the receiver's reading of the change.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.webhook_receiver, for --webhook

from change_feed import OPERATOR, listed_status, run_writers  # noqa: E402
from load import _fresh_postgres  # noqa: E402

from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork  # noqa: E402
from skillcard.domain.schemes import CardCategory, CardType, Scheme  # noqa: E402
from skillcard.services.accounts import connectors  # noqa: E402

SCHEME = "ECS"


def _record(number: str, version: int, status: str, i: int) -> dict:
    record = {
        "version": version, "holder_ref": f"P{i}", "given_names": "Sam", "surname": f"Bench{i}",
        "card_type": "GOLD", "issued_on": "2026-01-05", "expires_on": "2029-01-04",
        "status": status,
    }  # fmt: skip
    if status == "suspended":
        record["status_reason"] = "bench: suspended by the scheme"
    return record


class Server:
    """``skillcard serve`` in its own process group (its workers stop with it)."""

    def __init__(self, url: str, port: int, workers: int, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCARD_")}
        env |= {"SKILLCARD_DATABASE_URL": url, "SKILLCARD_ENVIRONMENT": "development"}
        command = [str(ROOT / ".venv/bin/skillcard"), "serve", "--port", str(port),
                   "--workers", str(workers), "--no-access-log"]  # fmt: skip
        self.log = log.open("w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/trust-list", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"skillcard serve stopped: see {log}")
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"skillcard serve did not answer in 120 s: see {log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def setup(engine, base: str, count: int) -> tuple[str, dict[str, int], dict[str, int]]:
    """The scheme, its connector's token, ``count`` cards PUT through it (not measured);
    (token, number -> status list entry, number -> version)."""
    with SqlAlchemyUnitOfWork(engine) as uow:
        scheme = Scheme(code=SCHEME, name=SCHEME, operator="bench", number_prefix=SCHEME)
        uow.schemes.add(scheme)
        uow.card_types.add(
            CardType(scheme_id=scheme.id, code="GOLD", title="Installation Electrician",
                     category=CardCategory.SKILLED, validity_months=36, colour="Gold")
        )  # fmt: skip
        uow.commit()
        number_for = scheme.number_format.number_for
    token = connectors.create_connector(
        uow=SqlAlchemyUnitOfWork(engine), who=OPERATOR, scheme_code=SCHEME, name="bench"
    ).token
    numbers = [number_for(i + 1) for i in range(count)]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for i, number in enumerate(numbers):
            answer = client.put(f"/api/v1/schemes/{SCHEME}/cards/{number}",
                                json=_record(number, 1, "active", i))  # fmt: skip
            if answer.status_code != 200:
                raise SystemExit(f"PUT {number}: {answer.status_code} {answer.text}")
        client.get(f"/api/v1/status-lists/{SCHEME}").raise_for_status()
    entries = {}
    with SqlAlchemyUnitOfWork(engine) as uow:
        scheme_id = uow.schemes.by_code(SCHEME).id
        for number in numbers:
            card = uow.cards.by_number(scheme_id, number)
            entries[number] = uow.status_lists.current_entry(card.id)
    return token, entries, dict.fromkeys(numbers, 1)


def run(base, token, entries, changes, writers, receiver=None):
    """(feed and list latencies, webhook latencies) in seconds, and the seconds taken."""
    numbers = list(entries)
    index = {n: i for i, n in enumerate(numbers)}
    auth = {"Authorization": f"Bearer {token}"}
    committed: dict[tuple[str, int], float] = {}
    with httpx.Client(base_url=base, headers=auth) as client:
        start = client.get("/api/v1/changes", params={"limit": 1000}).json()["next"]
        while True:  # the creations' entries are not measured
            page = client.get("/api/v1/changes", params={"after": start, "limit": 1000}).json()
            if not page["changes"]:
                break
            start = page["next"]
    per_writer = [numbers[i::writers] for i in range(writers)]

    def write(mine: list[str], quota: int) -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            status, made = dict.fromkeys(mine, "active"), collections.Counter()
            for k in range(quota):
                number = mine[k % len(mine)]
                status[number] = "active" if status[number] == "suspended" else "suspended"
                version = 2 + made[number]
                record = _record(number, version, status[number], index[number])
                answer = client.put(f"/api/v1/schemes/{SCHEME}/cards/{number}", json=record)
                answered = time.perf_counter()  # the commit is before the answer
                if answer.status_code != 200:
                    raise SystemExit(f"PUT {number}: {answer.status_code} {answer.text}")
                committed[(number, made[number])] = answered
                made[number] += 1

    latencies: list[float] = []

    def read() -> None:
        cursor, seen = start, collections.Counter()
        last = dict.fromkeys(numbers, "active")
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            while len(latencies) < changes:
                page = client.get("/api/v1/changes", params={"after": cursor, "limit": 1000})
                page.raise_for_status()
                cursor = page.json()["next"]
                for change in page.json()["changes"]:
                    number = change["card_number"]
                    if change["status"] == last[number]:
                        continue  # not a status change (an entry of another kind)
                    last[number] = change["status"]
                    on_feed = time.perf_counter()
                    while True:
                        listed = client.get(f"/api/v1/status-lists/{SCHEME}").json()
                        if listed_status(listed, entries[number]) == change["status"]:
                            break
                    in_list = time.perf_counter()
                    key = (number, seen[number])
                    seen[number] += 1
                    while key not in committed:  # the writer notes it just after the answer
                        time.sleep(0.0001)
                    latencies.append(max(on_feed, in_list) - committed[key])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    elapsed = run_writers(write, per_writer, changes)
    reader.join(120)
    hooked: list[float] = []
    if receiver is not None:
        deadline = time.monotonic() + 120  # the last deliveries may still be on their way
        while time.monotonic() < deadline:
            hooked = webhook_latencies(receiver, committed)
            if len(hooked) >= changes:
                break
            time.sleep(0.2)
    return latencies, hooked, elapsed


class TimedList(list):
    """The receiver's list of what it got, each with when it got it."""

    def append(self, item) -> None:
        super().append((time.perf_counter(), item))


def webhook_latencies(receiver, committed) -> list[float]:
    seen, last, found = collections.Counter(), {}, []
    for at, (_path, _headers, body) in list(receiver.received):
        for change in json.loads(body)["changes"]:
            number = change["card_number"]
            if change["status"] == last.get(number, "active"):
                continue
            last[number] = change["status"]
            key = (number, seen[number])
            seen[number] += 1
            if key in committed:
                found.append(at - committed[key])
    return found


def start_webhooks(engine, url: str):
    """A local HTTPS receiver, the scheme's webhook pointing at it, and a worker thread
    (Procrastinate, as ``skillcard worker``) posting with the test-only loopback policy."""
    from tests.webhook_receiver import Receiver

    from skillcard.adapters.file_stores import DatabaseFileStore
    from skillcard.adapters.jobs import procrastinate_queue as pq
    from skillcard.services import jobs
    from skillcard.services.business import webhooks
    from skillcard.services.federation import scheme_webhooks

    receiver = Receiver(Path(tempfile.mkdtemp(prefix="feedfigure-receiver-")))
    receiver.received = TimedList()
    scheme_webhooks.set_scheme_webhook(
        uow=SqlAlchemyUnitOfWork(engine), who=OPERATOR, scheme_code=SCHEME,
        url=receiver.url(), vet=receiver.vetter(),
    )  # fmt: skip
    context = jobs.JobContext(
        uow_factory=lambda read_only=False: SqlAlchemyUnitOfWork(engine, read_only=read_only),
        public_url="http://127.0.0.1", files=DatabaseFileStore(engine), alerts_hour_utc=None,
        post=receiver.poster(), retries=webhooks.Retries(),
    )  # fmt: skip
    app = pq.build_app(context, url)
    worker = pq.WorkerThread(
        app, stalled_after=30.0,
        **pq.worker_options(concurrency=1, heartbeat=10.0, stalled_after=30.0),
    )  # fmt: skip
    worker.start()
    worker.ready.wait(60)
    return receiver, worker


def main(args, report) -> None:
    engine = _fresh_postgres(args.postgres_url)
    print(f"load average before: {os.getloadavg()}", flush=True)
    log = Path(tempfile.gettempdir()) / f"change_feed_serve_{args.port}.log"
    server = Server(args.postgres_url, args.port, args.serve_workers, log)
    receiver = worker = None
    try:
        begun = time.perf_counter()
        token, entries, _versions = setup(engine, server.base, args.cards)
        took = time.perf_counter() - begun
        served = f"skillcard serve --workers {args.serve_workers}, log {log}"
        print(f"set up {args.cards} cards through PUT in {took:.1f} s ({served})", flush=True)
        if args.webhook:
            receiver, worker = start_webhooks(engine, args.postgres_url)
        latencies, hooked, elapsed = run(
            server.base, token, entries, args.changes, args.writers, receiver
        )
        print(f"{args.changes} PUTs by {args.writers} writers in {elapsed:.1f} s "
              f"({args.changes / elapsed:.0f}/s)")  # fmt: skip
        report("PUT answered -> on GET /changes and in GET /status-lists/ECS", latencies)
        if receiver is not None:
            report("PUT answered -> the webhook receiver has it (worker running)", hooked)
    finally:
        if worker is not None:
            worker.stop()
        if receiver is not None:
            receiver.close()
        server.stop()
        engine.dispose()
        print(f"load average after: {os.getloadavg()} at {dt.datetime.now(dt.UTC):%H:%M} UTC")
