"""Scheme admins' pages: search cards, open one, act on it. The services check the rights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from skillcard.domain.accounts import Role, require
from skillcard.errors import PermissionDenied, SkillcardError
from skillcard.services.audit import audit
from skillcard.services.credentials import devices
from skillcard.services.registry import cards, photos, provenance
from skillcard.services.registry.cards import CardView
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter(prefix="/admin")

ACTIONS: dict[str, Callable[..., CardView]] = {
    "renew": cards.renew_card,
    "replace": cards.replace_card,
    "suspend": cards.suspend_card,
    "reinstate": cards.reinstate_card,
    "revoke": cards.revoke_card,
}
DONE = {
    "renew": "renewed",
    "replace": "replaced",
    "suspend": "suspended",
    "reinstate": "reinstated",
    "revoke": "revoked",
    "photo": "given a new photo of its holder",
    "device": "taken off its holder's lost phone: that phone's codes are refused from now on",
}


@router.get("/cards")
def search(request: Request, session: PageSession, uows: Uows, q: str = ""):
    who, csrf = session
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "search the registry")
    results, error = [], ""
    if q.strip():
        try:
            results = uows.replica_first(
                lambda uow: cards.search_cards(uow=uow, who=who, query=q[:100])
            )
        except SkillcardError as problem:
            error = problem.message
    context = {"who": who, "csrf_token": csrf, "q": q, "results": results, "error": error}
    if request.headers.get("hx-request"):
        return render(request, "_card_results.html", context)
    return render(request, "admin_cards.html", context)


@router.get("/cards/{number}")
def card_page(request: Request, number: str, session: PageSession, uows: Uows, done: str = ""):
    who, csrf = session
    view = cards.show_card(uow=uows(read_only=True), who=who, number=number)
    history = audit.history(uow=uows(read_only=True), entity_type="card", entity_id=view.number)
    return render(
        request,
        "admin_card.html",
        {
            "who": who,
            "csrf_token": csrf,
            "card": view,
            "history": history,
            "done": DONE.get(done, ""),
            "error": "",
            "photo_sha256": photos.card_photo(uow=uows(read_only=True), who=who, number=number),
            "sources": _sources(uows, who, number),
            "devices": devices.card_devices(uow=uows(read_only=True), who=who, number=number),
        },
    )


def _sources(uows: Uows, who, number: str) -> list | None:
    """Where the card came from, for those who manage its scheme (None: not theirs to see)."""
    try:
        return provenance.card_sources(uow=uows(read_only=True), who=who, number=number)
    except PermissionDenied:
        return None


@router.post("/cards/{number}/{action}")
def act(
    request: Request,
    number: str,
    action: str,
    session: PageSession,
    uows: Uows,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    if action not in ACTIONS:
        return render(
            request,
            "error.html",
            {
                "who": who,
                "csrf_token": csrf,
                "title": "Unknown action",
                "message": f"{action!r} is not an action",
            },
            status=404,
        )
    kwargs = {} if action == "renew" else {"reason": reason}
    try:
        view = ACTIONS[action](uow=uows(), who=who, number=number, **kwargs)
    except SkillcardError as problem:
        if problem.http_status in (401, 403, 404):
            raise
        current = cards.show_card(uow=uows(read_only=True), who=who, number=number)
        history = audit.history(
            uow=uows(read_only=True), entity_type="card", entity_id=current.number
        )
        return render(
            request,
            "admin_card.html",
            {
                "who": who,
                "csrf_token": csrf,
                "card": current,
                "history": history,
                "done": "",
                "error": problem.message,
                "failed_action": action,
                "reason": reason,
            },
            status=problem.http_status,
        )
    return RedirectResponse(f"/admin/cards/{view.number}?done={action}", status_code=303)
