"""The hub admin's own page: the schemes and their cards, the signing keys, the trust list and
the audit chain (``GET /hub``); ``POST /hub/audit/verify`` checks the chain now and says how
it came out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from skillcard.domain.accounts import require
from skillcard.services.credentials import hub
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter()


def _page(request, who, csrf, uows, check=None):
    require(who.is_hub_admin, "see the hub's overview")
    context = {
        "who": who,
        "csrf_token": csrf,
        "hub": hub.overview(uow=uows(), who=who),
        "check": check,
    }
    return render(request, "hub.html", context)


@router.get("/hub")
def hub_page(request: Request, session: PageSession, uows: Uows):
    who, csrf = session
    return _page(request, who, csrf, uows)


@router.post("/hub/audit/verify")
def verify_audit(
    request: Request,
    session: PageSession,
    uows: Uows,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    check = hub.verify_audit(uow=uows(read_only=True), who=who)
    return _page(request, who, csrf, uows, check=check)
