"""The server's CPU per HSE answer save, in-process: the app called as ASGI, no HTTP.

    .venv/bin/python bench/hse_answer_cpu.py [--answers 4000] [--at-once 8]
                                             [--databases postgresql,sqlite] [--postgres-url URL]

For each database: a fresh one with 40 candidates, each with a started attempt and a bearer
token (as ``bench/hse.py`` makes them), then ``--answers`` answer saves through the whole app
(``PUT /api/v1/hse/attempts/{id}/answer``: middleware, lane, desk or worker thread),
``--at-once`` in flight, one at a time per attempt. Prints this process's CPU time per answer
(the database server's is not in it) and the rate. ``bench/hse.py`` measures the same save
served, with HTTP, under load.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from hse import DEFAULT_URL, _candidates, _fresh  # bench/ is on sys.path: run as a script

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.config import Settings
from skillcard.web.app import create_app

CANDIDATES = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=4000)
    parser.add_argument("--at-once", type=int, default=8)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    args = parser.parse_args()
    print(f"skillcard HSE answer CPU, {dt.date.today()}, Python {sys.version.split()[0]}, "
          f"{args.answers} answers, {args.at_once} at a time")  # fmt: skip
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory() as files:
            url = _fresh(database, args.postgres_url, Path(files))
            engine = make_engine(url)
            upgrade(engine)
            candidates = _candidates(engine, CANDIDATES, Path(files))
            engine.dispose()
            settings = Settings(
                database_url=url, files_dir=files, environment="development"
            )  # the served app's settings, but for the files' place
            cpu, wall, refused = asyncio.run(_answer(create_app(settings), candidates, args))
            print(f"{database}: {cpu / args.answers * 1000:.2f} ms of CPU per answer, "
                  f"{args.answers / wall:,.0f} answers/s, {refused} not 200")  # fmt: skip


async def _answer(app, candidates, args) -> tuple[float, float, int]:
    seqs = {attempt: 0 for attempt, _, _ in candidates}
    turns = {attempt: asyncio.Lock() for attempt, _, _ in candidates}
    at_once = asyncio.Semaphore(args.at_once)
    refused = 0

    async def save(attempt: int, token: str, items: list[int]) -> None:
        nonlocal refused
        async with at_once, turns[attempt]:
            seqs[attempt] += 1
            body = {"item_id": random.choice(items), "choice": 1, "seq": seqs[attempt]}
            if await _put(app, attempt, token, json.dumps(body).encode()) != 200:
                refused += 1

    async with app.router.lifespan_context(app):
        await asyncio.gather(*(save(*c) for c in candidates))  # connections made, statements
        refused = 0  # prepared: not what is measured
        cpu, began = time.process_time(), time.perf_counter()
        work = (save(*candidates[n % len(candidates)]) for n in range(args.answers))
        await asyncio.gather(*work)
        return time.process_time() - cpu, time.perf_counter() - began, refused


async def _put(app, attempt: int, token: str, body: bytes) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT",
        "scheme": "http", "path": f"/api/v1/hse/attempts/{attempt}/answer", "raw_path": b"",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer " + token.encode()),
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    sent, status = False, []

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


if __name__ == "__main__":
    os.environ.setdefault("SKILLCARD_ENVIRONMENT", "development")
    main()
