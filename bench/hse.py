"""HSE assessment benchmark: many candidates answering at once against ``skillcard serve``,
while their webcams send snapshots.

    .venv/bin/python bench/hse.py [--candidates 500] [--seconds 60] [--interval 2]
                                  [--snapshot-every 30] [--workers 2]
                                  [--databases postgresql,sqlite] [--postgres-url URL]

For each database in ``--databases``:

1. Makes a fresh database (PostgreSQL: drops and creates the one named in the URL; SQLite: a
   file in a temporary directory), migrates it, imports the demo item bank, and makes N
   candidates, each with a bearer token and a started attempt (through the services, with
   the identity check done).
2. Starts ``skillcard serve`` on that database (a separate process, ``--workers`` processes).
3. Runs N simulated candidates concurrently (asyncio, raw HTTP/1.1 keep-alive): each answers
   one question every ``--interval`` seconds (a random start within the first interval),
   ``PUT /api/v1/hse/attempts/{id}/answer`` with a growing seq, for ``--seconds``; and, on a
   second connection as a browser would, sends a 640 x 480 JPEG webcam frame every
   ``--snapshot-every`` seconds (0: none), ``POST /api/v1/hse/attempts/{id}/snapshots``,
   which the server checks, stores and counts faces in. Prints the answer-save latency (p50,
   p95, p99, max), the rate, and errors (goal: p99 under 50 ms, 0 errors), the snapshots'
   own latency and errors, and the machine's load average before and after.

Then times server-side face detection (the Haar cascade) per 640 x 480 snapshot, in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import io
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.face_detection import count_faces
from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.passwords import Argon2Passwords
from skillcard.adapters.photos import drawn_portrait
from skillcard.domain.accounts import Principal
from skillcard.domain.schemes import Scheme
from skillcard.services.accounts import accounts
from skillcard.services.hse import hse_attempts, hse_bank
from skillcard.services.registry import cardholders

DEFAULT_URL = "postgresql+psycopg://postgres@/skillcard_bench_hse?host=/var/run/postgresql"
OPERATOR = Principal.operator()


def main() -> None:
    args = _arguments()
    snapshots = (
        f"a snapshot every {args.snapshot_every} s" if args.snapshot_every else "no snapshots"
    )
    print(f"skillcard HSE benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, {args.candidates} candidates, "
          f"one answer every {args.interval} s each and {snapshots} for {args.seconds} s, "
          f"{args.workers} server process(es)")  # fmt: skip
    frames = _frames()
    print(f"snapshot: 640x480 JPEG, {statistics.mean(map(len, frames)) / 1024:.0f} KB")
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory() as files:
            url = _fresh(database, args.postgres_url, Path(files))
            engine = make_engine(url)
            upgrade(engine)
            began = time.perf_counter()
            candidates = _candidates(engine, args.candidates, Path(files))
            took = time.perf_counter() - began
            print(f"\n{database}: set-up {len(candidates)} started attempts in {took:.1f} s")
            engine.dispose()
            server, base = _serve(url, files, args.workers)
            print(f"load average before: {_load()}")
            try:
                answers, shots, elapsed = _run(_candidates_at_work(base, candidates, args, frames))
                print(f"load average after:  {_load()}")
                _report(answers, shots, elapsed)
            finally:
                _stop(server)
    _faces(frames)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:  # a busy machine: the figures are printed already
        os.killpg(server.pid, signal.SIGKILL)  # the workers too: they are its group
        server.wait(timeout=30)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--snapshot-every", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    return parser.parse_args()


def _fresh(database: str, postgres_url: str, files: Path) -> str:
    if database == "sqlite":
        return f"sqlite:///{files / 'bench.db'}"
    if database != "postgresql":
        raise SystemExit(f"--databases: sqlite or postgresql, not {database!r}")
    _fresh_postgres(postgres_url)
    return postgres_url


def _fresh_postgres(url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(
        sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def _candidates(engine, count: int, files: Path) -> list[tuple[int, str, list[int]]]:
    """(attempt id, bearer token, the attempt's item ids) for each candidate."""

    def uow():
        return SqlAlchemyUnitOfWork(engine)

    with uow() as u:
        u.schemes.add(Scheme(code="ECS", name="ECS (bench)", operator="bench", number_prefix="ECS"))
        u.commit()
    hse_bank.import_items(uow=uow(), who=OPERATOR, items=demo_items())
    store = InvigilationFileStore(files)
    face, document = drawn_portrait("Bench Candidate"), drawn_portrait("Bench ID")
    cheap = Argon2Passwords(cheapest=True)
    out = []
    for n in range(count):
        holder = cardholders.register_cardholder(
            uow=uow(), who=OPERATOR, given_names="Candidate", surname=f"Bench{n:04d}"
        )
        email = f"candidate{n}@bench.skillcard.test"
        accounts.add_user(
            uow=uow(), who=OPERATOR, email=email, display_name=email, role="cardholder",
            password="bench-password-long", cardholder_id=holder, passwords=cheap,
        )  # fmt: skip
        token = accounts.create_api_token(uow=uow(), who=OPERATOR, email=email, name="b", days=1)
        with uow() as u:
            who = Principal.of(u.users.by_email(email))
        attempt = hse_attempts.start_attempt(uow=uow(), who=who, scheme_code="ECS")
        hse_attempts.check_identity(
            uow=uow(), store=store, who=who, attempt_id=attempt, face_photo=face, id_photo=document
        )
        hse_attempts.begin(uow=uow(), who=who, attempt_id=attempt)
        with uow() as u:
            items = u.hse_attempts.get(attempt).form_item_ids()
        out.append((attempt, token, items))
    return out


def _serve(url: str, files: str, workers: int):
    port = 8765 + random.randint(0, 200)
    env = dict(os.environ, SKILLCARD_DATABASE_URL=url, SKILLCARD_FILES_DIR=files,
               SKILLCARD_ENVIRONMENT="development")  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "skillcard.cli", "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("skillcard serve did not start")


class Tally:
    """Latencies and errors of one kind of request."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.sent_at: list[float] = []  # seconds since the run began, one per latency


SNAPSHOT_BOUNDARY = b"benchsnapshotboundary"


async def _candidates_at_work(base: str, candidates, args, frames: list[bytes]):
    from raw_http import connect  # bench/ is on sys.path: this file is run as a script

    answers, shots = Tally(), Tally()
    stop = time.monotonic() + args.seconds
    started = time.perf_counter()
    port = int(base.rsplit(":", 1)[1])

    def answer_request(attempt: int, token: str, body: bytes) -> bytes:
        return (
            b"PUT /api/v1/hse/attempts/%d/answer HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s"
        ) % (attempt, port, token.encode(), len(body), body)

    def snapshot_request(attempt: int, token: str, jpeg: bytes) -> bytes:
        body = (
            b'--%s\r\nContent-Disposition: form-data; name="snapshot"; filename="frame.jpg"'
            b"\r\nContent-Type: image/jpeg\r\n\r\n%s\r\n--%s--\r\n"
        ) % (SNAPSHOT_BOUNDARY, jpeg, SNAPSHOT_BOUNDARY)
        return (
            b"POST /api/v1/hse/attempts/%d/snapshots HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Authorization: Bearer %s\r\n"
            b"Content-Type: multipart/form-data; boundary=%s\r\n"
            b"Content-Length: %d\r\n\r\n%s"
        ) % (attempt, port, token.encode(), SNAPSHOT_BOUNDARY, len(body), body)

    async def every(interval: float, tally: Tally, make_request) -> None:
        """One connection sending a request every ``interval`` s until the run stops."""
        await asyncio.sleep(random.uniform(0, interval))
        connection = await connect(port)
        while time.monotonic() < stop:
            began = time.perf_counter()
            if connection.closed:  # the server closes a connection idle past its keep-alive
                connection = await connect(port)
            try:
                status, text = await asyncio.wait_for(connection.send(make_request()), 30)
                if status != 200:
                    tally.errors.append(f"{status} {text[:120].decode(errors='replace')}")
            except (TimeoutError, OSError) as error:
                tally.errors.append(type(error).__name__)
                connection.transport.close()
                connection = await connect(port)
            tally.latencies.append(time.perf_counter() - began)
            tally.sent_at.append(began - started)
            # not past the stop: a 30 s snapshot loop would otherwise hold the run's end
            wait = min(interval - (time.perf_counter() - began), stop - time.monotonic())
            await asyncio.sleep(max(0.0, wait))
        connection.transport.close()

    def candidate(attempt: int, token: str, items: list[int]):
        seq = 0

        def answer() -> bytes:
            nonlocal seq
            seq += 1
            choice = b'{"item_id":%d,"choice":%d,"seq":%d}' % (
                random.choice(items),
                random.randrange(4),
                seq,
            )
            return answer_request(attempt, token, choice)

        def snapshot() -> bytes:
            return snapshot_request(attempt, token, random.choice(frames))

        work = [every(args.interval, answers, answer)]
        if args.snapshot_every:
            work.append(every(args.snapshot_every, shots, snapshot))
        return work

    began = time.perf_counter()
    await asyncio.gather(*(w for c in candidates for w in candidate(*c)))
    return answers, shots, time.perf_counter() - began


def _run(coroutine):
    """On uvloop where installed (it is, with uvicorn): the generator's own CPU per request
    is then a small part of the machine's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _pct(ms: list[float], p: float) -> float:
    return ms[min(len(ms) - 1, int(len(ms) * p))]


def _kinds(errors: list[str]) -> str:
    counted = collections.Counter(e[:60] for e in errors).most_common(3)
    return "".join(f"; {n} {kind}" for kind, n in counted)


def _windows(tally: Tally) -> str:
    windows: dict[int, list[float]] = collections.defaultdict(list)
    for at, seconds in zip(tally.sent_at, tally.latencies, strict=True):
        windows[int(at // 10)].append(seconds * 1000)
    return ", ".join(
        f"{w * 10}-{w * 10 + 10} s {_pct(sorted(ms), 0.99):.0f} ms"
        for w, ms in sorted(windows.items())
    )


def _report(answers: Tally, shots: Tally, elapsed: float) -> None:
    ms = sorted(x * 1000 for x in answers.latencies)
    print(f"answers saved: {len(ms):,} in {elapsed:.1f} s ({len(ms) / elapsed:,.0f}/s)")
    print(f"answer-save latency: p50 {_pct(ms, 0.50):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, "
          f"p99 {_pct(ms, 0.99):.1f} ms (goal < 50 ms), max {ms[-1]:.1f} ms")  # fmt: skip
    print(f"answer errors: {len(answers.errors)} (goal 0){_kinds(answers.errors)}")
    print("answer-save p99 by 10 s of the run (where the slow ones were): " + _windows(answers))
    if shots.latencies:
        ms = sorted(x * 1000 for x in shots.latencies)
        print(f"snapshots stored: {len(ms):,} ({len(ms) / elapsed:,.1f}/s), "
              f"p50 {_pct(ms, 0.50):.1f} ms, p99 {_pct(ms, 0.99):.1f} ms, max {ms[-1]:.1f} ms; "
              f"errors {len(shots.errors)}{_kinds(shots.errors)}")  # fmt: skip


def _frames() -> list[bytes]:
    """Five 640 x 480 webcam frames with a face in each, as JPEG. Sensor noise is added so a
    frame weighs what a real webcam's does (a flat drawing compresses to a few KB)."""
    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(7)
    frames = []
    for n in range(5):
        portrait = Image.open(io.BytesIO(drawn_portrait(f"Face {n}"))).convert("RGB")
        frame = Image.new("RGB", (640, 480), (90, 90, 100))
        frame.paste(portrait.resize((300, 375)), (170, 50))
        pixels = np.asarray(frame, dtype=np.int16) + noise.normal(0, 6, (480, 640, 3))
        frame = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
        out = io.BytesIO()
        frame.save(out, "JPEG", quality=80)
        frames.append(out.getvalue())
    return frames


def _faces(frames: list[bytes]) -> None:
    count_faces(frames[0])  # loads the cascade once per process, as the server does
    times, found = [], []
    for n in range(100):
        began = time.perf_counter()
        found.append(count_faces(frames[n % len(frames)]))
        times.append(time.perf_counter() - began)
    ms = sorted(t * 1000 for t in times)
    print(f"face detection per 640x480 snapshot: mean {statistics.mean(ms):.1f} ms, "
          f"p99 {ms[98]:.1f} ms; faces found in {sum(f == 1 for f in found)}/100")  # fmt: skip


if __name__ == "__main__":
    main()
