"""Your API tokens: every signed-in person sees the tokens of their account and revokes any."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse

from skillcard.services.accounts import api_tokens
from skillcard.services.audit.audit import utcnow
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter(prefix="/account")


@router.get("/tokens")
def your_tokens(request: Request, session: PageSession, uows: Uows):
    who, csrf = session
    now = utcnow()
    tokens = api_tokens.list_api_tokens(uow=uows(read_only=True), who=who, email=who.label)
    return render(
        request,
        "account_tokens.html",
        {
            "who": who,
            "csrf_token": csrf,
            "tokens": [(token, token.state_on(now)) for token in tokens],
            "revoked": request.query_params.get("revoked", "")[:60],
        },
    )


@router.post("/tokens/{token_id}/revoke")
def revoke(
    session: PageSession,
    uows: Uows,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    token = api_tokens.revoke_api_token(uow=uows(), who=who, token_id=token_id)
    return RedirectResponse(f"/account/tokens?revoked={token.id}", status_code=303)
