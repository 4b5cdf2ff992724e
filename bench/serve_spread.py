"""How two server processes share keep-alive connections: ``skillcard serve --workers 2``
(gunicorn, a socket per worker with SO_REUSEPORT) against ``uvicorn --workers 2`` (one socket
shared by the workers), on the same app and database.

    .venv/bin/python bench/serve_spread.py [--connections 32] [--rounds 3]

Each round opens the connections at once, as a site's tablets or a load balancer's pool do,
sends one request on each and notes which process answered (``x-served-by``, which the app
sets under SKILLCARD_ENVIRONMENT=test). A connection stays with the process that accepted it,
so the split is the split of the work that follows. Everything is on 127.0.0.1; each server is
stopped on the way out.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _served_by(port: int, connections: int) -> collections.Counter:
    opened = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(connections)]
    pids: collections.Counter = collections.Counter()
    try:
        for connection in opened:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
        for connection in opened:
            head = b""
            while b"\r\n\r\n" not in head:
                head += connection.recv(4096)
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"x-served-by:"):
                    pids[line.split(b":", 1)[1].strip().decode()] += 1
    finally:
        for connection in opened:
            connection.close()
    return pids


def _wait(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            _served_by(port, 1)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server on {port} did not answer")


def measure(name: str, command: list[str], env: dict, port: int, args) -> list[list[int]]:
    log = Path(tempfile.mkdtemp(prefix="serve_spread_")) / f"{name}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=env, stdout=output, stderr=output, start_new_session=True
        )
    try:
        _wait(port, server)
        time.sleep(2)  # every worker up
        splits = []
        for _ in range(args.rounds):
            counts = _served_by(port, args.connections)
            splits.append(sorted(counts.values(), reverse=True) + [0] * (2 - len(counts)))
        return splits
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    database = Path(tempfile.mkdtemp(prefix="serve_spread_db_")) / "spread.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCARD_")}
    env.update(SKILLCARD_DATABASE_URL=f"sqlite:///{database}", SKILLCARD_ENVIRONMENT="test")
    subprocess.run([str(VENV_BIN / "skillcard"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    port = _free_port()
    servers = {
        "skillcard serve --workers 2 (gunicorn, reuse_port)": [
            str(VENV_BIN / "skillcard"), "serve", "--port", str(port), "--workers", "2",
            "--no-access-log",
        ],
        "uvicorn --workers 2 (one shared socket)": [
            str(VENV_BIN / "uvicorn"), "--factory", "skillcard.web.app:create_served_app",
            "--port", str(port), "--workers", "2", "--no-access-log", "--log-level", "warning",
        ],
    }  # fmt: skip
    print(f"{args.connections} keep-alive connections opened at once, {args.rounds} rounds: "
          "connections taken by each of the 2 processes (busiest first)")  # fmt: skip
    rounds = range(1, args.rounds + 1)
    print("| server | " + " | ".join(f"round {n}" for n in rounds) + " |")
    print("|---|" + "---|" * args.rounds)
    for name, command in servers.items():
        splits = measure(name, command, env, port, args)
        print(f"| {name} | " + " | ".join(f"{a} / {b}" for a, b in splits) + " |", flush=True)


if __name__ == "__main__":
    main()
