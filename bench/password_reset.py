"""How long asking for a password reset takes for an address with an account and for one
without: the two answers are the same; this prints how close their times are.

    .venv/bin/python bench/password_reset.py [--requests 300] [--postgres-url URL] [--skip-sqlite]

Each database is fresh and migrated, with one user. The requests alternate between the known
and the unknown address (so drift in the machine's load falls on both). Two figures each:
"answer" is `POST /api/v1/password-resets` to the app served by uvicorn, a new connection per
request, until the answer is read; "work" is the service the answer leaves running behind it
(`services.passwords.request_password_reset`, commit included), which is where the two
addresses differ.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("SKILLCARD_ENVIRONMENT", "test")  # Argon2's cheapest profile: one user

import httpx
import sqlalchemy as sa
import uvicorn

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.config import Settings
from skillcard.domain.accounts import Principal
from skillcard.services.accounts import accounts, passwords
from skillcard.web import create_app


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free local port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


KNOWN, UNKNOWN = "someone@example.test", "nobody@example.test"


def run(label: str, url: str, requests: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    accounts.add_user(
        uow=SqlAlchemyUnitOfWork(engine),
        who=Principal.operator(),
        email=KNOWN,
        display_name="Someone",
        role="hub_admin",
        password="a bench passphrase",
    )
    work: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for i in range(requests * 2):
        email = KNOWN if i % 2 == 0 else UNKNOWN
        start = time.perf_counter()
        passwords.request_password_reset(
            uow=SqlAlchemyUnitOfWork(engine), email=email, public_url="http://x", minutes=60
        )
        work[email].append((time.perf_counter() - start) * 1000)
    settings = Settings(environment="test", database_url=url, password_reset_rate_limit=10**9)
    answer: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    with serving(create_app(settings, engine=engine)) as base:
        for i in range(requests * 2):
            email = KNOWN if i % 2 == 0 else UNKNOWN
            with httpx.Client(base_url=base) as client:  # a new connection each time
                start = time.perf_counter()
                reply = client.post("/api/v1/password-resets", json={"email": email})
                answer[email].append((time.perf_counter() - start) * 1000)
            assert reply.status_code == 202, reply.text
    engine.dispose()
    for what, times in (("answer", answer), ("work", work)):
        for email, name in ((KNOWN, "address with an account"), (UNKNOWN, "address without")):
            found = sorted(times[email])
            p90 = found[int(len(found) * 0.9)]
            print(
                f"{label:10} {what:6} {name:24} median {statistics.median(found):6.2f} ms   "
                f"p90 {p90:6.2f} ms   ({len(found)} requests)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@/postgres?host=/var/run/postgresql"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    options = parser.parse_args()
    if not options.skip_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            run("SQLite", f"sqlite:///{directory}/bench.db", options.requests)
    admin = sa.create_engine(options.postgres_url, isolation_level="AUTOCOMMIT")
    name = f"skillcard_bench_reset_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        run("PostgreSQL", admin.url.set(database=name).render_as_string(False), options.requests)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
