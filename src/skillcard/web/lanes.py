"""Fast lanes: a few busy endpoints answered before FastAPI's middleware, routing and
parameter handling.

A Smart Check by number is the request a site sends most, thousands a second at the gate of a
large site at shift change. Its endpoint takes only the request (it validates its own query:
see ``web/api/checks.py``), so FastAPI's router, route wrapper and dependency solver add
nothing to it but time: about a fifth of a check's CPU, profiled. Nor do the layers FastAPI
wraps round every app: OpenTelemetry (skillcard configures none, yet FastAPI asks the
environment whether one is configured on every request), a body limit (a check has no body)
and the 500 page (uvicorn answers a 500 the same way). A lane calls the very same endpoint
function straight from the app's entry point, and turns its exceptions into responses with
the app's own exception handlers, so what a client receives is the same either way. The
route stays declared on its router: it is what OpenAPI documents.

Whatever must hold for every response, a lane's too (the security headers), is an ASGI
middleware given as ``front``: it wraps the lanes and the app alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from skillcard.web.hostile_input import nul_in_target, refusal

Endpoint = Callable[[Request], Awaitable[Response]]


class AppWithLanes(FastAPI):
    """FastAPI, with ``(method, path) -> endpoint`` lanes taken before anything else, and
    ``front`` middleware (outermost first) before the lanes. A lane's path may have
    parameters, as a route's does (``/attempts/{attempt_id}/answer``): the endpoint reads
    them from ``request.path_params``, as strings."""

    def __init__(
        self,
        *args,
        lanes: dict[tuple[str, str], Endpoint],
        front: Sequence[Callable[[ASGIApp], ASGIApp]] = (),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lanes = {key: endpoint for key, endpoint in lanes.items() if "{" not in key[1]}
        self._templated = [
            (method, compile_path(path)[0], path, endpoint)
            for (method, path), endpoint in lanes.items()
            if "{" in path
        ]
        entry: ASGIApp = self._lane_or_app
        for middleware in reversed(front):
            entry = middleware(entry)
        self._entry = entry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._entry(scope, receive, send)

    async def _lane_or_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._lane(scope) if scope["type"] == "http" else None
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self  # what Starlette sets: the endpoint reads the app's state
        scope["endpoint"] = endpoint  # as a route sets it (observability names the route)
        if nul_in_target(scope):  # what the skipped RefuseNul middleware would have refused
            await refusal(scope)(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as error:
            handler = _handler_for(self.exception_handlers, error)
            if handler is None:
                raise  # to uvicorn, which logs it and answers 500, as on any route
            response = await handler(request, error)
        await response(scope, receive, send)

    def _lane(self, scope: Scope) -> Endpoint | None:
        """The lane for the request, if one: ``scope["lane"]`` names it (its path template,
        the metrics' route label) and ``scope["path_params"]`` has its parameters."""
        method, path = scope["method"], scope["path"]
        endpoint = self.lanes.get((method, path))
        if endpoint is not None:
            scope["lane"] = path
            return endpoint
        for lane_method, pattern, template, endpoint in self._templated:
            matched = pattern.match(path) if lane_method == method else None
            if matched is not None:
                scope["lane"], scope["path_params"] = template, matched.groupdict()
                return endpoint
        return None


def _handler_for(handlers: dict, error: Exception):
    for kind in type(error).__mro__:
        if kind in handlers:
            return handlers[kind]
    return None
