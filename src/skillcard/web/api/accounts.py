"""Tokens for machine clients, the caller's own identity, and adding users (hub admins)."""

from __future__ import annotations

from fastapi import APIRouter

from skillcard.services import accounts
from skillcard.web.api.schemas import ERRORS, Me, TokenIssued, TokenRequest, UserCreate, UserCreated
from skillcard.web.deps import ApiWho, SettingsDep, Uows

router = APIRouter(tags=["accounts"], responses=ERRORS)


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def create_token(body: TokenRequest, uows: Uows, settings: SettingsDep):
    """Exchange an e-mail and password for a bearer token (shown once; keep it secret)."""
    who = accounts.authenticate(uow=uows(read_only=True), email=body.email, password=body.password)
    token = accounts.create_api_token(
        uow=uows(),
        who=who,
        email=body.email,
        name=body.name,
        days=settings.api_token_days,
    )
    return {"token": token}


@router.get("/me", response_model=Me)
def me(who: ApiWho):
    return {
        "email": who.label,
        "role": who.role.value,
        "scheme_id": who.scheme_id,
        "cardholder_id": who.cardholder_id,
    }


@router.post("/users", response_model=UserCreated, status_code=201)
def add_user(body: UserCreate, who: ApiWho, uows: Uows):
    user_id = accounts.add_user(
        uow=uows(),
        who=who,
        email=body.email,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
        scheme_code=body.scheme,
        cardholder_id=body.cardholder_id,
    )
    return {"id": user_id}
