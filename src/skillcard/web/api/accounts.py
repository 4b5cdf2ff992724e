"""Tokens for machine clients, the caller's own identity, and adding users (hub admins)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from skillcard.domain.accounts import ApiToken
from skillcard.services.accounts import accounts, api_tokens
from skillcard.services.audit.audit import utcnow
from skillcard.web.abuse import throttle_sign_in
from skillcard.web.api.schemas import (
    ERRORS,
    ApiTokenOut,
    Me,
    TokenIssued,
    TokenRequest,
    UserCreate,
    UserCreated,
)
from skillcard.web.deps import AnonymousClient, ApiWho, Limiter, PasswordsDep, SettingsDep, Uows

router = APIRouter(tags=["accounts"], responses=ERRORS)
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: ERRORS[401] | {"description": "too many attempts: see Retry-After"}
}


@router.post("/tokens", response_model=TokenIssued, status_code=201, responses=THROTTLED)
async def create_token(
    request: Request,
    body: TokenRequest,
    uows: Uows,
    settings: SettingsDep,
    limiter: Limiter,
    client: AnonymousClient,
):
    """Exchange an e-mail and password for a bearer token (shown once; keep it secret).
    Repeated failures are slowed, then refused (429 with Retry-After)."""
    who = await throttle_sign_in(
        request,
        limiter,
        client,
        body.email,
        partial(
            accounts.authenticate,
            uow=uows(read_only=True),
            email=body.email,
            password=body.password,
            passwords=request.app.state.passwords,
        ),
    )
    token = await run_in_threadpool(
        partial(
            accounts.create_api_token,
            uow=uows(),
            who=who,
            email=body.email,
            name=body.name,
            days=body.days or settings.api_token_days,
        )
    )
    return {"token": token}


@router.get("/tokens", response_model=list[ApiTokenOut])
def my_tokens(who: ApiWho, uows: Uows):
    """The caller's own tokens, newest first: names and dates, never the secrets."""
    return _out(api_tokens.list_api_tokens(uow=uows(read_only=True), who=who, email=who.label))


@router.get("/users/{email}/tokens", response_model=list[ApiTokenOut])
def user_tokens(email: str, who: ApiWho, uows: Uows):
    """A user's tokens (hub admins; anyone for themselves)."""
    return _out(api_tokens.list_api_tokens(uow=uows(read_only=True), who=who, email=email[:254]))


@router.delete("/tokens/{token_id}", response_model=ApiTokenOut)
def revoke_token(token_id: TokenId, who: ApiWho, uows: Uows):
    """Revoke a token: refused at once by every server. Yours, or anyone's (hub admins)."""
    return _out([api_tokens.revoke_api_token(uow=uows(), who=who, token_id=token_id)])[0]


def _out(tokens: list[ApiToken]) -> list[dict]:
    now = utcnow()
    return [{**vars(token), "state": token.state_on(now)} for token in tokens]


@router.get("/me", response_model=Me)
def me(who: ApiWho):
    return {
        "email": who.label,
        "role": who.role.value,
        "scheme_id": who.scheme_id,
        "cardholder_id": who.cardholder_id,
    }


@router.post("/users", response_model=UserCreated, status_code=201)
def add_user(body: UserCreate, who: ApiWho, uows: Uows, hasher: PasswordsDep):
    user_id = accounts.add_user(
        uow=uows(),
        who=who,
        email=body.email,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
        passwords=hasher,
        scheme_code=body.scheme,
        cardholder_id=body.cardholder_id,
    )
    return {"id": user_id}
