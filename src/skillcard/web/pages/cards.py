"""A card's photo and its two presentations: the printable card and the phone card.

- ``POST /admin/cardholders/{id}/photo``: an admin uploads a cardholder's photo (multipart,
  CSRF), from the admin card page;
- ``GET /photos/{sha256}``: a stored photo, only for people who may see its holder (else 404),
  or, with ``?t=TOKEN``, for anyone holding a check answer's short-lived signed link to it;
- ``GET /cards/{number}/print``: front and back at ID-1 size (85.60 x 53.98 mm), for A4;
- ``GET /my/cards/{number}/phone``: the holder's phone card, whose QR (``.../phone/qr``, a
  partial) htmx fetches afresh every minute and whenever the page is shown again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from skillcard.adapters.photos import MAX_UPLOAD_BYTES, PhotoRefused, PhotoStore
from skillcard.adapters.qr import PRINTED_MAX_VERSION, qr_svg
from skillcard.errors import SkillcardError
from skillcard.services.audit import audit
from skillcard.services.credentials import devices
from skillcard.services.registry import cards, photos
from skillcard.web.deps import PageSession, Uows, page_session
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter()
PHONE_ERROR = "m"  # a phone screen does not get scuffed; M keeps the code small enough
REFRESH_SECONDS = 60


def photo_store(request: Request) -> PhotoStore:
    return PhotoStore(request.app.state.files)


@router.post("/admin/cardholders/{cardholder_id}/photo")
def upload_photo(
    request: Request,
    cardholder_id: int,
    session: PageSession,
    uows: Uows,
    photo: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    card: Annotated[str, Form(max_length=40)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    data = photo.file.read(MAX_UPLOAD_BYTES + 1) if photo is not None else b""
    try:
        photos.set_photo(
            uow=uows(), store=photo_store(request), who=who, cardholder_id=cardholder_id, data=data
        )
    except PhotoRefused as refused:
        if not card:
            raise
        view = cards.show_card(uow=uows(read_only=True), who=who, number=card)
        history = audit.history(uow=uows(read_only=True), entity_type="card", entity_id=view.number)
        return render(
            request,
            "admin_card.html",
            {
                "who": who,
                "csrf_token": csrf,
                "card": view,
                "history": history,
                "done": "",
                "error": f"The photo was not accepted: {refused.message}",
                "error_target": "photo-file",
                "photo_sha256": _photo_of(uows, who, view.number),
            },
            status=refused.http_status,
        )
    if card:
        return RedirectResponse(f"/admin/cards/{card}?done=photo", status_code=303)
    return RedirectResponse("/admin/cards", status_code=303)


def _photo_of(uows: Uows, who, number: str) -> str | None:
    try:
        return photos.card_photo(uow=uows(read_only=True), who=who, number=number)
    except SkillcardError:
        return None


@router.get("/photos/{sha256}")
def photo(
    request: Request,
    sha256: str,
    uows: Uows,
    t: Annotated[str | None, Query(description="a check answer's photo link token")] = None,
):
    if t is not None:  # a check answer's link: that token, for that photo, or nothing
        data = photos.photo_by_token(
            store=photo_store(request),
            secret=request.app.state.settings.secret_key,
            sha256=sha256,
            token=t,
        )
        cache = "private, max-age=600"
    else:
        who, _ = page_session(request, uows)  # signed out: off to the sign-in page
        data = photos.photo_bytes(
            uow=uows(read_only=True), store=photo_store(request), who=who, sha256=sha256
        )
        cache = "private, max-age=3600"
    return Response(
        data,
        media_type="image/jpeg",
        headers={
            "Cache-Control": cache,
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


@router.get("/cards/{number}/print")
def print_card(request: Request, number: str, session: PageSession, uows: Uows):
    who, csrf = session
    printed = photos.printed_card(uow=uows(), who=who, number=number)
    svg = None
    if printed.qr_text:
        svg = qr_svg(printed.qr_text, error="q", max_version=PRINTED_MAX_VERSION)
    # The back names the service's own address: a bare "/check" is no use to a reader.
    public = request.app.state.settings.public_url.rstrip("/")
    check_host = public.removeprefix("https://").removeprefix("http://")
    return render(
        request,
        "card_print.html",
        {
            "who": who,
            "csrf_token": csrf,
            "printed": printed,
            "card": printed.card,
            "qr": svg,
            "check_host": check_host,
        },
    )


def _refresh_seconds(every: int | None) -> int:
    """Tests may ask for a faster refresh; never slower than a minute, never below 2 s."""
    return REFRESH_SECONDS if every is None else max(2, min(REFRESH_SECONDS, every))


def _phone_context(request: Request, session, uows: Uows, number: str, every: int | None):
    who, csrf = session
    phone = photos.phone_card(uow=uows(), store=photo_store(request), who=who, number=number)
    svg = qr_svg(phone.qr_text, error=PHONE_ERROR) if phone.qr_text else None
    return {
        "who": who,
        "csrf_token": csrf,
        "phone": phone,
        "card": phone.card,
        "qr": svg,
        "every": _refresh_seconds(every),
    }


def _devices_context(request: Request, who, uows: Uows, number: str) -> dict:
    """The phones the card is on (holder-bound phone cards, web/pages/phone_card.py)."""
    return {
        "devices": devices.card_devices(uow=uows(read_only=True), who=who, number=number),
        "device_days": request.app.state.settings.phone_device_days,
        "done": request.query_params.get("done", ""),
    }


@router.get("/my/cards/{number}/phone")
def phone_page(
    request: Request, number: str, session: PageSession, uows: Uows, every: int | None = None
):
    context = _phone_context(request, session, uows, number, every)
    context.update(_devices_context(request, context["who"], uows, number))
    return _no_store(render(request, "card_phone.html", context))


@router.get("/my/cards/{number}/phone/qr")
def phone_qr(
    request: Request, number: str, session: PageSession, uows: Uows, every: int | None = None
):
    context = _phone_context(request, session, uows, number, every)
    return _no_store(render(request, "_phone_qr.html", context))


def _no_store(response):
    """A signed phone code is never kept by a cache or the browser's history."""
    response.headers["Cache-Control"] = "no-store"
    return response
