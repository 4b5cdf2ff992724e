"""Smart Check by QR code: a photo of the code uploaded, or the code's text (from the camera
scanner in check.js, or pasted), verified by the server against the registry's own keys and
status lists (the same service as ``POST /api/v1/verify``).

The answer is the number check's big green, amber or red panel. An upload is hostile by
nature: its body is read with a cap whatever Content-Length says, then parsed; a file that is
not an image, is too big or holds no QR code gets a plain message (422, or 413 for size),
and, as on the number check, htmx requests get a 200 with the problem shown.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from skillcard.adapters import qr
from skillcard.errors import InvalidInput, RateLimited
from skillcard.services.checks import checks
from skillcard.services.credentials.verification import MAX_TEXT
from skillcard.web.api.checks import OfflineCheckIn, offline_answer
from skillcard.web.checking import limit_checks, with_photo_url
from skillcard.web.deps import AnonymousClient, Limiter, OptionalPageSession, PageSession, Uows
from skillcard.web.pages.check import _page
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter()

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_MAX_BODY = MAX_UPLOAD_BYTES + 64 * 1024  # the file and the form's other fields
TOO_BIG = f"The picture is too big: send one smaller than {MAX_UPLOAD_BYTES // 1024 // 1024} MB"


MAX_OFFLINE_BODY = 4 * 1024 * 1024  # 500 checks of the longest QR text, and room to spare
_OFFLINE_ITEMS = TypeAdapter(list[OfflineCheckIn])
SERVICE_WORKER = Path(__file__).parent.parent / "static" / "sw.js"


@router.get("/sw.js")
def service_worker():
    """The service worker, from the site's root so that it may look after /check."""
    return FileResponse(
        SERVICE_WORKER, media_type="text/javascript", headers={"Cache-Control": "no-cache"}
    )


class TooLarge(Exception):
    pass


async def _capped_form(request: Request):
    """The form, parsed only once the whole body is known to be under the cap."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_BODY:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise TooLarge
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay():
        return {"type": "http.request", "body": body, "more_body": False}

    return await Request(request.scope, replay).form(max_files=1, max_fields=5)


def _qr_text(image: bytes) -> str:
    codes = qr.read_qr(image)
    if not codes:
        raise InvalidInput(
            "no QR code was found in the picture: take it again, closer and in focus"
        )
    return codes[0].text


def _qr_page(request: Request, uows: Uows, session, status: int = 200, headers=None, **qr):
    """The check page with the QR answer (or problem) in the QR section; for htmx, only that
    answer (which also empties the number check's answer, so one answer shows at a time)."""
    qr = {"result": None, "errors": {}, "problem": "", **qr}
    if request.headers.get("hx-request"):
        return render(request, "_qr_result.html", {"qr": qr, "oob": True})
    return _page(request, uows, session, status, headers, qr=qr)


@router.post("/check/qr")
async def check_qr(
    request: Request,
    uows: Uows,
    limiter: Limiter,
    client: AnonymousClient,
    session: OptionalPageSession,
):
    # Only the body is read on the event loop; the rest (the page's scheme list, the rate
    # counters, the QR decoding, the check) is blocking, so it runs in the thread pool.
    try:
        form = await _capped_form(request)
    except TooLarge:
        too_big = {"qr-image": TOO_BIG}
        return await run_in_threadpool(_qr_page, request, uows, session, 413, errors=too_big)
    try:
        return await run_in_threadpool(_answer, request, uows, limiter, client, session, form)
    finally:
        await form.close()  # the uploaded file's spooled copy


def _answer(request, uows, limiter, client, session, form):
    who = session[0] if session else None
    if session:  # a signed-in check is made in the user's name: it must come from our form
        csrf = form.get("csrf_token")
        check_csrf(session[1], csrf if isinstance(csrf, str) else "")
    image, text, site = form.get("image"), form.get("qr_text"), form.get("site")
    site = site.strip()[:200] if isinstance(site, str) else None
    text = text.strip() if isinstance(text, str) else ""
    has_image = isinstance(image, UploadFile) and bool(image.filename or image.size)
    if not has_image and not text:
        message = "Choose a picture of the card's QR code, or paste the code's text"
        return _qr_page(request, uows, session, 422, errors={"qr-image": message})
    try:
        limit_checks(request, limiter, who=who, client=client)
    except RateLimited as limited:
        return _qr_page(request, uows, session, 429, limited.headers, problem=limited.message)
    if has_image:
        data = image.file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            return _qr_page(request, uows, session, 413, errors={"qr-image": TOO_BIG})
        try:
            text = _qr_text(data)
        except InvalidInput as problem:
            message = problem.message[:1].upper() + problem.message[1:]
            return _qr_page(request, uows, session, 422, errors={"qr-image": message})
    elif len(text) > MAX_TEXT:
        message = "That text is longer than any QR code holds"
        return _qr_page(request, uows, session, 422, errors={"qr-text": message})
    window = request.app.state.settings.presentation_window()
    checked = checks.check_qr(
        uow=uows(), text=text, who=who, client=client, site=site, window=window
    )
    return _qr_page(request, uows, session, result=with_photo_url(request, checked.public))


@router.post("/check/offline")
async def sync_offline(request: Request, uows: Uows, session: PageSession):
    """The check page's queue of QR checks made on this device while offline, sent once it is
    back online by a signed-in checker (JSON, the CSRF token in ``X-CSRF-Token``): the same
    as ``POST /api/v1/checks/offline``, for the page's session."""
    who, csrf = session
    check_csrf(csrf, request.headers.get("x-csrf-token", ""))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_OFFLINE_BODY:
            raise InvalidInput(f"the request body is larger than {MAX_OFFLINE_BODY} bytes")
        chunks.append(chunk)
    try:
        items = _OFFLINE_ITEMS.validate_json(b"".join(chunks))
    except ValidationError as error:
        problem = error.errors()[0].get("msg", "invalid") if error.errors() else "invalid"
        raise InvalidInput(f"send a list of offline checks: {problem}") from None
    answer = await run_in_threadpool(offline_answer, uows, who, items)
    return JSONResponse(answer)
