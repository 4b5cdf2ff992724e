"""HSE assessment benchmark: many candidates answering at once against ``skillcard serve``.

    .venv/bin/python bench/hse.py [--candidates 500] [--seconds 60] [--interval 2]
                                  [--workers 2] [--postgres-url URL]

1. Drops and creates the PostgreSQL database named in the URL, migrates it, imports the demo
   item bank, and makes N candidates, each with a bearer token and a started attempt (through
   the services, with the identity check done).
2. Starts ``skillcard serve`` on that database (a separate process, ``--workers`` processes).
3. Runs N simulated candidates concurrently (asyncio + httpx, one connection each): each
   answers one question every ``--interval`` seconds (a random start within the first
   interval), ``PUT /api/v1/hse/attempts/{id}/answer`` with a growing seq, for ``--seconds``.
   Prints the answer-save latency (p50, p95, p99, max), the rate, and errors (goal: p99 under
   50 ms, 0 errors).
4. Times server-side face detection (the Haar cascade) per 640 x 480 snapshot.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import random
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
from skillcard.services import accounts, cardholders, hse_attempts, hse_bank

DEFAULT_URL = "postgresql+psycopg://postgres@/skillcard_bench_hse?host=/var/run/postgresql"
OPERATOR = Principal.operator()


def main() -> None:
    args = _arguments()
    print(f"skillcard HSE benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, {args.candidates} candidates, "
          f"one answer every {args.interval} s each for {args.seconds} s, "
          f"{args.workers} server process(es)")  # fmt: skip
    with tempfile.TemporaryDirectory() as files:
        engine = _fresh_postgres(args.postgres_url)
        began = time.perf_counter()
        candidates = _candidates(engine, args.candidates, Path(files))
        print(f"set-up: {len(candidates)} started attempts in {time.perf_counter() - began:.1f} s")
        engine.dispose()
        server, base = _serve(args.postgres_url, files, args.workers)
        try:
            latencies, errors, elapsed = _run(_answer(base, candidates, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    _report(latencies, errors, elapsed)
    _faces()


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    return parser.parse_args()


def _fresh_postgres(url: str):
    name = sa.make_url(url).database
    admin = sa.create_engine(
        sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    return engine


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
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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


async def _answer(base: str, candidates, args) -> tuple[list[float], list[str], float]:
    from raw_http import connect  # bench/ is on sys.path: this file is run as a script

    latencies: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + args.seconds
    port = int(base.rsplit(":", 1)[1])

    def request(attempt: int, token: str, body: bytes) -> bytes:
        return (
            b"PUT /api/v1/hse/attempts/%d/answer HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s"
        ) % (attempt, port, token.encode(), len(body), body)

    async def candidate(attempt: int, token: str, items: list[int]) -> None:
        await asyncio.sleep(random.uniform(0, args.interval))
        connection = await connect(port)
        seq = 0
        while time.monotonic() < stop:
            seq += 1
            body = b'{"item_id":%d,"choice":%d,"seq":%d}' % (
                random.choice(items),
                random.randrange(4),
                seq,
            )
            began = time.perf_counter()
            try:
                status, text = await asyncio.wait_for(
                    connection.send(request(attempt, token, body)), 30
                )
                if status != 200:
                    errors.append(f"{status} {text[:120].decode(errors='replace')}")
            except (TimeoutError, OSError) as error:
                errors.append(type(error).__name__)
                connection.transport.close()
                connection = await connect(port)
            latencies.append(time.perf_counter() - began)
            if connection.closed:
                connection = await connect(port)
            await asyncio.sleep(max(0.0, args.interval - (time.perf_counter() - began)))
        connection.transport.close()

    began = time.perf_counter()
    await asyncio.gather(*(candidate(*c) for c in candidates))
    return latencies, errors, time.perf_counter() - began


def _run(coroutine):
    """On uvloop where installed (it is, with uvicorn): the generator's own CPU per request
    is then a small part of the machine's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _report(latencies: list[float], errors: list[str], elapsed: float) -> None:
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(len(ms) * p))]

    print(f"answers saved: {len(ms):,} in {elapsed:.1f} s ({len(ms) / elapsed:,.0f}/s)")
    print(f"answer-save latency: p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, "
          f"p99 {pct(0.99):.1f} ms (goal < 50 ms), max {ms[-1]:.1f} ms")  # fmt: skip
    print(f"errors: {len(errors)} (goal 0)" + (f"; first: {errors[0]}" if errors else ""))


def _faces() -> None:
    from PIL import Image

    frames = []
    for n in range(5):  # a 640 x 480 webcam frame with a face in it, as JPEG
        portrait = Image.open(io.BytesIO(drawn_portrait(f"Face {n}"))).convert("RGB")
        frame = Image.new("RGB", (640, 480), (90, 90, 100))
        frame.paste(portrait.resize((300, 375)), (170, 50))
        out = io.BytesIO()
        frame.save(out, "JPEG", quality=80)
        frames.append(out.getvalue())
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
