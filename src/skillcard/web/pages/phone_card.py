"""The holder-bound phone card (domain/holder_binding.py), for the holder's browser.

- ``POST /my/cards/{number}/device``: the phone's public key (JSON ``{"jwk": {...}}``, the
  CSRF token in ``X-CSRF-Token``) in, its device credential out (JSON; errors as JSON too);
- ``POST /my/cards/{number}/devices/{id}/revoke``: the holder revokes a phone's card (a form);
  ``POST /admin/cards/{number}/devices/{id}/revoke``: an admin does, with a reason;
- ``GET /my/phone``: the offline card, an app shell with nothing personal in it: the card, the
  key and the credential live in the phone's IndexedDB (static/holder-card.js), so the
  service worker keeps the page and it opens with no signal.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse

from skillcard.domain.holder_binding import PRESENTATION_WINDOW, RENEW_SECONDS
from skillcard.errors import InvalidInput, SkillcardError
from skillcard.services.credentials import devices
from skillcard.web.deps import PageSession, Uows
from skillcard.web.errors import error_body
from skillcard.web.pages.cards import photo_store
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter()
MAX_ENROL_BODY = 2_048  # a P-256 JWK is about 200 bytes


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@router.post("/my/cards/{number}/device")
async def enrol(request: Request, number: str, session: PageSession, uows: Uows):
    who, csrf = session
    try:
        check_csrf(csrf, request.headers.get("x-csrf-token", ""))
        body = await request.body()
        if len(body) > MAX_ENROL_BODY:
            raise InvalidInput(f"the request body is larger than {MAX_ENROL_BODY} bytes")
        try:
            jwk = json.loads(body).get("jwk")
        except (ValueError, AttributeError):
            raise InvalidInput('send {"jwk": {...}}, the phone\'s public key') from None
        days = request.app.state.settings.phone_device_days
        done = await run_in_threadpool(
            devices.enrol_device, uow=uows(), store=photo_store(request), who=who,
            number=number[:40], jwk=jwk, days=days,
        )  # fmt: skip
    except SkillcardError as error:
        return JSONResponse(error_body(error.code, error.message), error.http_status)
    return JSONResponse(
        {
            "device_id": done.device_id,
            "credential": _b64url(done.credential),
            "valid_until": done.valid_until.isoformat(),
            "key": done.thumbprint,
            "renew_seconds": RENEW_SECONDS,
            "card": {
                "scheme": done.scheme,
                "number": done.number,
                "holder_name": done.holder_name,
                "card_type_title": done.card_type_title,
                "occupation": done.occupation,
                "expires": done.expires.isoformat(),
                "colour": done.colour.lower(),
                "portrait": base64.b64encode(done.portrait).decode() if done.portrait else None,
            },
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/my/cards/{number}/devices/{device_id}/revoke")
def revoke(
    number: str,
    device_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: PageSession,
    uows: Uows,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    devices.revoke_device(
        uow=uows(), who=who, device_id=device_id, reason=reason or "revoked by the holder"
    )
    return RedirectResponse(f"/my/cards/{number}/phone?done=revoked", status_code=303)


@router.post("/admin/cards/{number}/devices/{device_id}/revoke")
def admin_revoke(
    number: str,
    device_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: PageSession,
    uows: Uows,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
):
    """An admin revokes a phone's copy of a card from the card's admin page."""
    who, csrf = session
    check_csrf(csrf, csrf_token)
    devices.revoke_device(uow=uows(), who=who, device_id=device_id, reason=reason)
    return RedirectResponse(f"/admin/cards/{number}?done=device", status_code=303)


@router.get("/my/phone")
def offline_card(request: Request):
    window = int(PRESENTATION_WINDOW.total_seconds())
    return render(request, "phone_offline.html", {"renew": RENEW_SECONDS, "window": window})
