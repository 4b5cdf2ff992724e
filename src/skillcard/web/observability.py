"""What an operator reads of a server: a request id on every log line, one structured line per
request, and the request metrics.

``RequestContext`` is the outermost ASGI middleware (see ``AppWithLanes``' ``front``), so the
Smart Check lane is seen too. It takes the request's ``X-Request-ID`` when a proxy in front
sent a sensible one, else makes one, echoes it in the answer, and keeps it in a context
variable for the request's time: every log line written meanwhile carries it, from the event
loop or from the worker threads the request uses (anyio copies the context into them).

Log lines are JSON objects, one a line (``JsonLines``), as log collectors read them.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import time
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skillcard.adapters import metrics

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = logging.getLogger("skillcard.access")

HEADER = b"x-request-id"
# What is kept of a caller's id: a proxy's or a client's tracing id, not free text in our logs
_SENSIBLE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


class RequestContext:
    """Request id in and out, the access line, the request counters and latency."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._counted: dict[tuple[str, str, int], Any] = {}  # the labelled children, reused
        self._timed: dict[str, Any] = {}
        # A made id: this process's random half, then a count. uuid4 read the kernel's
        # random source on every request (6 µs, a tenth of the middleware's cost).
        self._made_prefix = os.urandom(8).hex()
        self._made = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _given_id(scope)
        rid = given or f"{self._made_prefix}{next(self._made):016x}"
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500  # if the app fails before it answers, uvicorn's answer is a 500
        encoded = rid.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, encoded)]
            await send(message)
            if kind == "http.response.body" and not message.get("more_body", False):
                self._answered(scope, status, time.perf_counter() - started)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)

    def _answered(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route(scope)
        method = scope["method"]
        key = (method, route, status)
        counter = self._counted.get(key)
        if counter is None:
            counter = self._counted[key] = metrics.REQUESTS.labels(method, route, str(status))
        counter.inc()
        timer = self._timed.get(route)
        if timer is None:
            timer = self._timed[route] = metrics.LATENCY.labels(route)
        timer.observe(seconds)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={"status": status, "duration_ms": round(seconds * 1000, 2),
                       "method": method, "path": scope["path"], "route": route},
            )  # fmt: skip


def _given_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == HEADER:
            return value.decode("ascii") if _SENSIBLE_ID.fullmatch(value) else None
    return None


def _route(scope: Scope) -> str:
    """The route's template (``/api/v1/cards/{number}``), never the path itself: a label per
    card number would be a metric per card. Paths no route took are one label."""
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path", "unmatched") or "unmatched"
    return scope.get("lane", "unmatched")  # a lane's template, if a lane took it


class WithRequestId(logging.Filter):
    """Puts the current request's id on every record (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


_EXTRA = ("status", "duration_ms", "method", "path", "route")


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, what the access line
    adds, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in _EXTRA:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


JsonLines.converter = time.gmtime


def log_config(*, access_log: bool = True, level: str = "INFO") -> dict:
    """The ``logging.config.dictConfig`` of a server process: every logger (skillcard's,
    uvicorn's, gunicorn's) writes JSON lines with the request id to standard error."""
    handler = ["json"]
    quiet = {"handlers": handler, "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": WithRequestId}},
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": handler, "level": level},
        "loggers": {
            "gunicorn.error": quiet,
            "gunicorn.access": {**quiet, "level": "WARNING"},  # the app writes its own
            "uvicorn": quiet,
            "uvicorn.error": quiet,
            "uvicorn.access": {**quiet, "level": "WARNING"},
            "skillcard.access": {**quiet, "level": level if access_log else "WARNING"},
        },
    }
