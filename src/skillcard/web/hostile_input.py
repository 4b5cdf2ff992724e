"""NUL characters refused at the door, before any route sees the request.

No name, number or note of the trade holds a NUL (``\\0``), and PostgreSQL cannot store one in
text (SQLite can): a NUL that got through answered 500 on one database and was stored on the
other. So it is refused here, once, wherever it is: the path, the query, a JSON body, a form
(url-encoded, or the text fields of a multipart one: files may hold any bytes). The answer is
a 400, JSON under ``/api/``, a page elsewhere. Only a bounded head of a body is read here
(see ``TEXT_LOOKED_INTO``), so that uploads still stream to disk and routes keep their own
size limits. The Smart Check lane skips the middleware and asks ``nul_in_target`` itself
(see ``web/lanes.py``). Other doors (CLI, bulk files) reach the database's own refusal,
turned into ``InvalidInput`` in ``adapters/db/engine.py``.
"""

from __future__ import annotations

import json

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MESSAGE = "a NUL character (\\0) is not allowed anywhere in what you send"


def nul_in_target(scope: Scope) -> bool:
    """Whether the request's path or query holds a NUL: cheap, for every request."""
    return "\x00" in scope["path"] or b"%00" in scope["query_string"]


def refusal(scope: Scope) -> Response:
    """The 400 a request with a NUL gets: JSON for the API, a page for people."""
    from skillcard.web.errors import error_body, page, wants_json

    request = Request(scope)
    if wants_json(request):
        return JSONResponse(error_body("invalid_input", MESSAGE), 400)
    return page(request, 400, "Please check what you entered", MESSAGE)


class RefuseNul:
    """ASGI middleware: a request holding a NUL anywhere it can be read as text gets a 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if nul_in_target(scope):
            await refusal(scope)(scope, receive, send)
            return
        kind = _content_type(scope)
        if kind.startswith(("application/json", "application/x-www-form-urlencoded")):
            limit = TEXT_LOOKED_INTO
        elif kind.startswith("multipart/form-data"):
            limit = MULTIPART_LOOKED_INTO
        else:
            await self.app(scope, receive, send)
            return
        # Read at most a bounded head of the body, so that the routes' own size limits and
        # streamed uploads work as before; a body past it goes on unread.
        body, complete = await _read_body(receive, limit)
        if complete and await _body_holds_nul(kind, body, scope, _replay(body, receive)):
            await refusal(scope)(scope, _replay(body, receive), send)
            return
        await self.app(scope, _replay(body, receive, complete), send)


# Bodies larger than these go to their route unread: a form's or a JSON document's text is
# far smaller; a multipart body larger than a form is a file (bulk CSV, photos: they stream to
# disk). A NUL in an unread body meets PostgreSQL's refusal (adapters/db/engine.py), or is
# stored on SQLite, which can hold it.
TEXT_LOOKED_INTO = 1024 * 1024
MULTIPART_LOOKED_INTO = 64 * 1024


def _content_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").lower()
    return ""


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, or its first chunks once past ``limit``; and whether it is all there."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > limit:
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive, complete: bool = True) -> Receive:
    """A receive that hands the app the body already read, then the client's own messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replayed


async def _body_holds_nul(kind: str, body: bytes, scope: Scope, receive: Receive) -> bool:
    if kind.startswith("application/json"):
        # Most bodies have no escaped NUL at all: only those that seem to are parsed to be sure.
        return b"\\u0000" in body and _json_holds_nul(body)
    if kind.startswith("application/x-www-form-urlencoded"):
        return b"%00" in body or b"\x00" in body
    if b"\x00" not in body:
        return False
    # A multipart body with a NUL byte: fine in a file, not in a text field.
    try:
        form = await Request(scope, receive).form()
    except Exception:
        return False  # the route's own parsing answers a malformed form
    try:
        return any(
            "\x00" in key or (isinstance(value, str) and "\x00" in value)
            for key, value in form.multi_items()
        )
    finally:
        for _key, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.close()


def _json_holds_nul(body: bytes) -> bool:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON, or nested past reading: the route answers that
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
