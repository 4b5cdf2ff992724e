"""The business's webhook page: where its alerts are posted, how the last delivery went
(when, the answer or the error, when it is tried next), and, for its admins, the form to set
or clear the address (the signing secret is shown once, after saving)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from skillcard.errors import PermissionDenied
from skillcard.services.business import webhooks
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.business_common import FIXABLE
from skillcard.web.pages.business_common import page as _page
from skillcard.web.pages.business_common import problem as _problem
from skillcard.web.pages.forms import check_csrf

router = APIRouter()  # included by pages/business.py, under /business


def _webhook_page(request, uows, session, status=200, **extra):
    found = webhooks.webhook_status(uow=uows(read_only=True), who=session[0])
    context = {"hook": found, "form": {"url": found.url or ""}, **extra}
    return _page(request, "business_webhook.html", session, status, **context)


@router.get("/webhook")
def webhook_page(request: Request, uows: Uows, session: PageSession):
    return _webhook_page(request, uows, session)


@router.post("/webhook")
def set_webhook(
    request: Request,
    uows: Uows,
    session: PageSession,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    url: Annotated[str, Form(max_length=500)] = "",
):
    check_csrf(session[1], csrf_token)
    try:
        secret = webhooks.set_webhook(uow=uows(), who=session[0], url=url)
    except (*FIXABLE, PermissionDenied) as error:
        return _webhook_page(
            request,
            uows,
            session,
            error.http_status,
            errors=_problem(error, "url"),
            form={"url": url},
        )
    return _webhook_page(request, uows, session, secret=secret, saved=True)
