"""Sign-in throttling under a flood (issue 14, "Figures"): 200 parallel wrong passwords for one
account from 20 client addresses, then the right password from a new address.

    .venv/bin/python bench/login_throttle.py [--attempts 200] [--addresses 20] [--workers 2]
        [--database-url URL]

In one run:

1. Makes a fresh database (a SQLite file in a temporary folder, or the PostgreSQL URL given,
   which must name an empty database), migrates it and adds one user with ``skillcard user
   add`` (real Argon2 cost: the environment is ``development``, not ``test``).
2. Starts ``skillcard serve --workers N --no-access-log`` on 127.0.0.1 with the default
   throttling settings. uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 (``proxy_headers``),
   so each request's header is its client address, as behind a proxy in production.
3. Sends the wrong passwords all at once to ``POST /api/v1/tokens``, each address in turn, and
   counts the answers: 401 (the password was checked and was wrong) or 429 (refused unchecked).
4. Right after, from an address never seen, sends the right password; while refused, waits
   the Retry-After it was given and tries again. Prints how long the rightful user waited,
   against the set delay (``sign_in_account_window_seconds``).
5. Counts the audit events the throttle wrote.

Everything listens on 127.0.0.1 only; the server is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SKILLCARD = str(Path(sys.executable).parent / "skillcard")
EMAIL, PASSWORD = "site.manager@example.test", "the rightful user's password"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--addresses", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "SKILLCARD_ENVIRONMENT": "development",
            "SKILLCARD_DATABASE_URL": args.database_url or f"sqlite:///{folder}/bench.db",
            "SKILLCARD_SECRET_KEY": os.urandom(24).hex(),
            "SKILLCARD_FILES_DIR": f"{folder}/files",
            "SKILLCARD_ALERTS_DAILY": "false",
        }
        for command in (
            ["db", "upgrade"],
            ["user", "add", EMAIL, "--role", "hub_admin", "--password", PASSWORD],
        ):
            subprocess.run(
                [SKILLCARD, *command], env=env, cwd=folder, check=True, capture_output=True
            )
        from skillcard.config import Settings

        settings = Settings(_env_file=None, **{"database_url": env["SKILLCARD_DATABASE_URL"]})
        port = free_port()
        log = Path(folder) / "serve.log"
        server = start(env, folder, port, args.workers, log)
        try:
            wait_until_answering(server, port, log)
            figures = asyncio.run(flood(port, args.attempts, args.addresses))
            figures["after"] = asyncio.run(rightful_user(port))
        finally:
            stop(server)
        if set(figures["codes"]) - {401, 429}:
            print("server log, last lines:\n" + "\n".join(log.read_text().splitlines()[-15:]))
        figures["audit"] = audit_counts(env["SKILLCARD_DATABASE_URL"])
        report(args, settings, figures)
    return 0


async def flood(port: int, attempts: int, addresses: int) -> dict:
    limits = httpx.Limits(max_connections=attempts, max_keepalive_connections=attempts)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=300) as http:

        async def guess(n: int):
            address = f"203.0.113.{n % addresses + 1}"
            started = time.perf_counter()
            answer = await http.post(
                "/api/v1/tokens",
                json={"email": EMAIL, "password": f"wrong guess {n}"},
                headers={"X-Forwarded-For": address},
            )
            return answer.status_code, time.perf_counter() - started

        async def rightful_user_meanwhile():
            await asyncio.sleep(0.5)  # the flood is in: every guess is sent and queued
            return await rightful_user(port, "198.51.100.2")

        started = time.perf_counter()
        meanwhile = asyncio.ensure_future(rightful_user_meanwhile())
        answers = await asyncio.gather(*(guess(n) for n in range(attempts)))
        elapsed = time.perf_counter() - started
        during = await meanwhile
    latencies = sorted(seconds for _, seconds in answers)
    return {
        "codes": collections.Counter(code for code, _ in answers),
        "flood_seconds": elapsed,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "during": during,
    }


async def rightful_user(port: int, address: str = "198.51.100.1") -> dict:
    tries, waited_for = [], 0.0
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
        while time.perf_counter() - started < 3700:
            answer = await http.post(
                "/api/v1/tokens",
                json={"email": EMAIL, "password": PASSWORD, "name": "back in"},
                headers={"X-Forwarded-For": address},
            )
            tries.append(answer.status_code)
            if answer.status_code != 429:
                break
            wait = int(answer.headers["Retry-After"])
            waited_for += wait
            await asyncio.sleep(wait)
    return {
        "rightful_tries": tries,
        "rightful_seconds": time.perf_counter() - started,
        "told_to_wait": waited_for,
    }


def audit_counts(url: str) -> collections.Counter:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            actions = connection.scalars(
                sa.text("SELECT action FROM audit_events WHERE action LIKE :prefix"),
                {"prefix": "sign_in.%"},
            ).all()
    finally:
        engine.dispose()
    return collections.Counter(actions)


def report(args, settings, figures: dict) -> None:
    codes = figures["codes"]
    delay = settings.sign_in_account_window_seconds
    print(f"sign-in throttling bench: {args.attempts} parallel wrong passwords for one account")
    print(f"  from {args.addresses} addresses, skillcard serve --workers {args.workers}, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}")  # fmt: skip
    print(f"settings: {settings.sign_in_slow_after} a minute per account and address, "
          f"{settings.sign_in_address_per_minute} a minute per address, "
          f"{settings.sign_in_account_limit} per {delay} s per account "
          f"(the set delay: {delay} s)")  # fmt: skip
    print(f"flood answered in {figures['flood_seconds']:.2f} s "
          f"(p50 {figures['p50'] * 1000:.0f} ms, p99 {figures['p99'] * 1000:.0f} ms)")  # fmt: skip
    print(f"  passwords checked (401): {codes.get(401, 0)}")
    print(f"  refused unchecked (429): {codes.get(429, 0)}")
    other = {code: n for code, n in codes.items() if code not in (401, 429)}
    print(f"  other answers:           {other or 'none'}")
    held = not other
    for when in ("during", "after"):
        user = figures[when]
        tries = user["rightful_tries"]
        ok = tries[-1] == 201
        held = held and ok and user["told_to_wait"] <= delay
        print(f"right password from a new address, {when} the flood: "
              f"{'signed in' if ok else 'NOT signed in'} after {len(tries)} "
              f"tr{'y' if len(tries) == 1 else 'ies'} {tries} and "
              f"{user['rightful_seconds']:.1f} s, told to wait {user['told_to_wait']:.0f} s "
              f"in all (goal: within {delay} s)")  # fmt: skip
    audited = figures["audit"]
    print(f"audit events: {dict(audited)} "
          f"({sum(audited.values())} rows for {codes.get(429, 0)} refusals)")  # fmt: skip
    print(f"one password hash (Argon2id, the server's profile) on this machine now: "
          f"{hash_seconds() * 1000:.0f} ms")  # fmt: skip
    print(f"holds: {'yes' if held else 'NO'}")


def hash_seconds() -> float:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    started = time.perf_counter()
    for _ in range(5):
        hasher.verify(stored, PASSWORD)
    return (time.perf_counter() - started) / 5


def start(env: dict, folder: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    argv = [SKILLCARD, "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"]
    return subprocess.Popen(
        argv, env=env, cwd=folder, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def wait_until_answering(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped on start:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 "):
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer within 90 s:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # our own group, made at start
            server.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
