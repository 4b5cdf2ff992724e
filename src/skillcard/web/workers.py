"""Several server processes, each with a listening socket of its own (``SO_REUSEPORT``).

uvicorn's own ``--workers`` shares one listening socket between its processes, and the process
that wakes first accepts every connection waiting. Clients that keep their connections open
(a site's tablets, a business's bulk checker, the benchmark's 32 connections) then all land
on one process: measured at 0.99 of a core for one worker and none for the other. With a
socket per process bound with ``SO_REUSEPORT``, the kernel spreads connections evenly.

The parent process does not listen (a listening socket that never accepts would be given
connections too). It starts the workers, starts a worker again if one dies, and on SIGINT or
SIGTERM asks every worker to finish its requests and stop.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.connection import wait

log = logging.getLogger("skillcard.serve")

CANNOT_LISTEN = 3  # a worker's exit code when its socket cannot be bound: not restarted
QUICK_DEATHS = 5  # workers dying within STARTUP_SECONDS of starting, in a row, stop it all
STARTUP_SECONDS = 10.0
STOP_SECONDS = 30.0  # for a worker to finish its requests before it is killed
BACKLOG = 2048


def serve_workers(app: str, *, host: str, port: int, workers: int, **uvicorn_options) -> int:
    """Serve ``app`` (an import string, as uvicorn takes) from ``workers`` processes until
    SIGINT or SIGTERM; 0, or 1 if a worker could not start."""
    check_address(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = []

    def start() -> tuple[multiprocessing.Process, float]:
        process = context.Process(
            target=_worker, args=(app, host, port, uvicorn_options), daemon=False
        )
        process.start()
        return process, time.monotonic()

    def stop(signum, _frame) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    running = [start() for _ in range(workers)]
    failed, quick_deaths = False, 0
    try:
        while not stopping and not failed:
            wait([process.sentinel for process, _ in running], timeout=0.5)
            for i, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                quick = time.monotonic() - started < STARTUP_SECONDS
                quick_deaths = quick_deaths + 1 if quick else 0
                if process.exitcode == CANNOT_LISTEN or quick_deaths >= QUICK_DEATHS:
                    log.error("workers cannot start (exit code %s): stopping", process.exitcode)
                    failed = True
                    break
                log.warning("worker %s stopped (exit code %s): starting another",
                            process.pid, process.exitcode)  # fmt: skip
                if quick:
                    time.sleep(1.0)  # not a tight loop of failing starts
                running[i] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes what it has, then stops
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 1 if failed else 0


def check_address(host: str, port: int) -> None:
    """OSError if ``host:port`` cannot be listened on (taken, or not this machine's)."""
    # Without SO_REUSEPORT, so that a server already on the port (our own included) is seen
    _socket(host, port, reuse_port=False).close()


def _socket(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(app: str, host: str, port: int, uvicorn_options: dict) -> None:
    import uvicorn

    try:
        sock = _socket(host, port)
    except OSError as error:
        log.error("cannot listen on %s:%s: %s", host, port, error.strerror)
        sys.exit(CANNOT_LISTEN)
    sock.listen(BACKLOG)
    config = uvicorn.Config(app, host=host, port=port, **uvicorn_options)
    uvicorn.Server(config).run(sockets=[sock])
