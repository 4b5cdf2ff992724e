"""The front page: where each kind of person goes next."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from skillcard.domain.accounts import Role
from skillcard.web.deps import OptionalPageSession
from skillcard.web.pages.rendering import render

router = APIRouter()

HOME_OF = {
    Role.HUB_ADMIN: "/hub",
    Role.SCHEME_ADMIN: "/admin/cards",
    Role.CARDHOLDER: "/my",
    Role.BUSINESS_ADMIN: "/business",
    Role.BUSINESS_CHECKER: "/business",
    Role.INVIGILATOR: "/invigilation",
    Role.ASSESSOR: "/assessor",
}


@router.get("/")
def home(request: Request, session: OptionalPageSession):
    if session and session[0].role in HOME_OF:
        return RedirectResponse(HOME_OF[session[0].role], status_code=303)
    who, csrf = session or (None, "")
    return render(request, "home.html", {"who": who, "csrf_token": csrf})
