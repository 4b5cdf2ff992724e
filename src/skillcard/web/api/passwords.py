"""Passwords over the API: change your own, ask for and use a reset link, force a reset.

POST /api/v1/me/password                 {current_password, new_password}     204
POST /api/v1/password-resets             {email}         202, the same for any address
POST /api/v1/password-resets/confirm     {token, new_password}                204
POST /api/v1/password-resets/forced      {email}         hub admins           202
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from pydantic import BaseModel, Field

from skillcard.config import Settings
from skillcard.services.accounts import passwords
from skillcard.web.abuse import limit_password_changes, limit_password_resets
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import (
    AnonymousClient,
    ApiWho,
    Limiter,
    PasswordsDep,
    SettingsDep,
    UnitOfWorkFactory,
    Uows,
)

router = APIRouter(tags=["passwords"], responses=ERRORS)

RESET_ASKED = "if that address has an account, a link to choose a new password is on its way to it"


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class ResetRequest(BaseModel):
    email: str = Field(max_length=254)


class ResetConfirm(BaseModel):
    token: str = Field(max_length=100)
    new_password: str = Field(max_length=200)


class ResetAccepted(BaseModel):
    message: str


def ask_after_answering(
    background: BackgroundTasks, uows: UnitOfWorkFactory, settings: Settings, email: str
) -> None:
    """Look the address up and e-mail its link after the answer has gone: a known address
    writes a link, an e-mail and an audit event, an unknown one nothing, and the time that
    takes must not tell the asker which it was (bench/password_reset.py prints both)."""
    background.add_task(
        passwords.request_password_reset,
        uow=uows(),
        email=email,
        public_url=settings.public_url,
        minutes=settings.password_reset_minutes,
    )


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChange, who: ApiWho, uows: Uows, limiter: Limiter, hasher: PasswordsDep
):
    """Change your own password (the current one is needed; ten tries an hour). Every page
    session of yours ends; API tokens stay."""
    limit_password_changes(limiter, who.user_id)
    passwords.change_password(
        uow=uows(),
        who=who,
        current_password=body.current_password,
        new_password=body.new_password,
        passwords=hasher,
    )
    return Response(status_code=204)


@router.post("/password-resets", response_model=ResetAccepted, status_code=202)
def ask_for_reset(
    body: ResetRequest,
    request: Request,
    background: BackgroundTasks,
    uows: Uows,
    settings: SettingsDep,
    limiter: Limiter,
    client: AnonymousClient,
):
    """E-mail a reset link to the address if it has an account. The answer is the same
    whether or not it has one."""
    limit_password_resets(request, limiter, client, body.email)
    ask_after_answering(background, uows, settings, body.email)
    return {"message": RESET_ASKED}


@router.post("/password-resets/confirm", status_code=204)
def use_reset_link(body: ResetConfirm, uows: Uows, hasher: PasswordsDep):
    """Choose a new password with the secret from a reset link (the part after
    /password/reset/). Every session and API token of the account ends."""
    passwords.reset_password(
        uow=uows(), token=body.token, new_password=body.new_password, passwords=hasher
    )
    return Response(status_code=204)


@router.post("/password-resets/forced", response_model=ResetAccepted, status_code=202)
def force_reset(body: ResetRequest, who: ApiWho, uows: Uows, settings: SettingsDep):
    """Hub admins: the user's password stops working now, their sessions and API tokens end,
    and they are e-mailed a link to choose a new one."""
    passwords.force_password_reset(
        uow=uows(),
        who=who,
        email=body.email,
        public_url=settings.public_url,
        minutes=settings.password_reset_minutes,
    )
    return {"message": "the password no longer works; a reset link was e-mailed to the user"}
