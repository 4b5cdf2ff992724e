"""Fast lanes: a few busy endpoints answered past FastAPI's routing and parameter handling.

A Smart Check by number is the request a site sends most, thousands a second at the gate of a
large site at shift change. Its endpoint takes only the request (it validates its own query:
see ``web/api/checks.py``), so FastAPI's router, route wrapper and dependency solver add
nothing to it but time: about a fifth of a check's CPU, profiled. A lane calls the very same
endpoint function straight from the middleware stack, and turns its exceptions into responses
with the app's own exception handlers, so what a client receives is the same either way. The
route stays declared on its router: it is what OpenAPI documents.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class Lanes:
    """ASGI middleware: ``(method, path) -> endpoint``; everything else goes on to the app."""

    def __init__(self, app: ASGIApp, *, lanes: dict[tuple[str, str], Endpoint]) -> None:
        self.app = app
        self.lanes = lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (
            self.lanes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as error:
            handler = _handler_for(request.app.exception_handlers, error)
            if handler is None:
                raise  # to Starlette's ServerErrorMiddleware: a 500, as on any route
            response = await handler(request, error)
        await response(scope, receive, send)


def _handler_for(handlers: dict, error: Exception):
    for kind in type(error).__mro__:
        if kind in handlers:
            return handlers[kind]
    return None
