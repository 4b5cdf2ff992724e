"""``skillcard serve``'s process manager: gunicorn, with uvicorn's worker, each worker with a
listening socket of its own.

gunicorn's ``reuse_port`` makes every worker bind its own socket with ``SO_REUSEPORT`` (the
master binds none), so the kernel spreads connections evenly over the workers. With one shared
socket the worker that wakes first accepts every connection waiting, and clients that keep
their connections open (a site's tablets, the benchmark's 32 connections) all land on one
process: measured at 0.99 of a core for one worker and none for the other. gunicorn restarts a
worker that dies, stops if workers cannot boot, and on SIGTERM (or SIGINT) stops accepting
and gives each worker ``graceful_timeout`` seconds to finish the requests it holds.

What runs in every worker (the app, its logs) is set up here, before the fork; the metrics'
shared directory is set by ``skillcard serve`` before anything imports the app.
"""

from __future__ import annotations

import socket
from typing import ClassVar

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from uvicorn_worker import UvicornWorker

from skillcard.web import observability

GRACEFUL_SECONDS = 30  # for a worker to finish its requests before it is killed
BACKLOG = 2048


class SkillcardWorker(UvicornWorker):
    """uvicorn's worker as ``skillcard serve`` runs it: a trusted proxy's X-Forwarded-*
    honoured (``FORWARDED_ALLOW_IPS``, 127.0.0.1 by default), and uvicorn's access line left
    to the app's own (``observability``), which carries the request id and the duration."""

    CONFIG_KWARGS: ClassVar[dict] = {
        "loop": "auto", "http": "auto", "proxy_headers": True, "access_log": False,
    }  # fmt: skip


class GracefulOnCtrlC(Arbiter):
    """gunicorn's master, stopping on SIGINT (Ctrl+C) as on SIGTERM: the requests in flight
    are finished. gunicorn's own SIGINT is a quick stop, which uvicorn's worker does not
    heed: the master then waits out the graceful timeout and kills it."""

    def handle_int(self):
        self.handle_term()


class Server(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def run(self) -> None:
        GracefulOnCtrlC(self).run()

    def load(self):
        """In each worker, after the fork (no preload): nothing of the app is shared."""
        from skillcard.web.app import create_served_app

        return create_served_app()


def serve(*, host: str, port: int, workers: int, access_log: bool = True) -> int:
    """Serve the app from ``workers`` processes until SIGTERM or SIGINT; gunicorn's exit
    status (0, or non-zero if the workers could not boot)."""

    options = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": f"{__name__}.SkillcardWorker",
        "reuse_port": True,
        "graceful_timeout": GRACEFUL_SECONDS,
        "backlog": BACKLOG,
        "keepalive": 5,
        "logconfig_dict": observability.log_config(access_log=access_log),
        "child_exit": _forget_dead_worker,
        "proc_name": "skillcard",
        # One socket per user ($HOME/.gunicorn/gunicorn.ctl): two servers on one machine
        # would take it from each other. Stop with SIGTERM, scale with --workers.
        "control_socket_disable": True,
    }
    try:
        Server(options).run()
    except SystemExit as stop:  # gunicorn's arbiter ends with sys.exit
        return stop.code if isinstance(stop.code, int) else 1
    return 0


def _forget_dead_worker(_arbiter, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def check_address(host: str, port: int) -> None:
    """OSError if ``host:port`` cannot be listened on (taken, or not this machine's)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Without SO_REUSEPORT, so that a server already on the port (our own included) is seen
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
