"""Password pages: forgot (ask for a link), reset (use it), change your own, and a hub admin's
forced reset. Forms post back to their page and show a problem above the form; nothing is
stored when one is refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse

from skillcard.domain.accounts import require
from skillcard.errors import Conflict, InvalidInput, NotFound, SkillcardError
from skillcard.services.accounts import passwords
from skillcard.web.abuse import limit_password_changes, limit_password_resets
from skillcard.web.api.passwords import ask_after_answering
from skillcard.web.deps import (
    SESSION_COOKIE,
    AnonymousClient,
    Limiter,
    PageSession,
    SettingsDep,
    Uows,
)
from skillcard.web.pages.forms import (
    anonymous_form_token,
    check_anonymous_form,
    check_csrf,
    keep_anonymous_form_token,
)
from skillcard.web.pages.rendering import render

router = APIRouter()

Csrf = Annotated[str, Form(max_length=100)]
Password = Annotated[str, Form(max_length=200)]
Email = Annotated[str, Form(max_length=254)]
FIXABLE = (InvalidInput, NotFound, Conflict)
HINT = "At least 12 characters. Not a common password: a short sentence is easy to remember."


def _page(request, name, session=None, status=200, **context):
    who, csrf = session or (None, "")
    base = {"who": who, "csrf_token": csrf, "errors": {}, "form": {}, "hint": HINT}
    if who is not None:
        return render(request, name, {**base, **context}, status=status)
    base["form_csrf"] = token = anonymous_form_token(request)
    response = render(request, name, {**base, **context}, status=status)
    keep_anonymous_form_token(request, response, token)
    # The reset page's address holds the link's secret: no other site may see it in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _said(error: SkillcardError) -> str:
    return error.message[:1].upper() + error.message[1:]


# --- forgotten password (not signed in) ------------------------------------------------------


@router.get("/password/forgot")
def forgot_form(request: Request):
    return _page(request, "password_forgot.html")


@router.post("/password/forgot")
def forgot(
    request: Request,
    background: BackgroundTasks,
    uows: Uows,
    settings: SettingsDep,
    limiter: Limiter,
    client: AnonymousClient,
    email: Email = "",
    csrf_token: Csrf = "",
):
    check_anonymous_form(request, csrf_token)
    if not email.strip():
        errors = {"email": "Enter the e-mail address you sign in with"}
        return _page(request, "password_forgot.html", status=422, errors=errors)
    limit_password_resets(request, limiter, client, email)
    ask_after_answering(background, uows, settings, email)
    return _page(
        request,
        "password_message.html",
        title="Check your e-mail",
        message=f"If {email.strip().lower()} has a skillcard account, we have sent it a link "
        f"to choose a new password. The link works once, for "
        f"{settings.password_reset_minutes} minutes.",
        outbox=settings.shows_outbox,
    )


@router.get("/password/reset/{token}")
def reset_form(request: Request, token: str, uows: Uows):
    try:
        passwords.check_reset_link(uow=uows(read_only=True), token=token)
    except FIXABLE as error:
        return _dead_link(request, error)
    return _page(request, "password_reset.html", token=token[:100])


@router.post("/password/reset/{token}")
def reset(
    request: Request,
    token: str,
    uows: Uows,
    password: Password = "",
    csrf_token: Csrf = "",
):
    check_anonymous_form(request, csrf_token)
    try:
        email = passwords.reset_password(
            uow=uows(),
            token=token,
            new_password=password,
            passwords=request.app.state.passwords,
        )
    except InvalidInput as error:
        errors = {"password": _said(error)}
        return _page(request, "password_reset.html", status=422, token=token[:100], errors=errors)
    except (NotFound, Conflict) as error:
        return _dead_link(request, error)
    return _page(
        request,
        "password_message.html",
        title="Your password is changed",
        message=f"Sign in as {email} with your new password. You were signed out everywhere "
        "else, and any API tokens of yours were revoked.",
        sign_in=True,
    )


def _dead_link(request, error: SkillcardError):
    return _page(
        request,
        "password_message.html",
        status=error.http_status,
        title="That link did not work",
        message=_said(error),
        ask_again=True,
    )


# --- your own password (signed in) -----------------------------------------------------------


@router.get("/account/password")
def change_form(request: Request, session: PageSession, done: int = 0):
    return _page(request, "password_change.html", session, done=bool(done))


@router.post("/account/password")
def change(
    request: Request,
    uows: Uows,
    session: PageSession,
    limiter: Limiter,
    current_password: Password = "",
    password: Password = "",
    csrf_token: Csrf = "",
):
    check_csrf(session[1], csrf_token)
    limit_password_changes(limiter, session[0].user_id)
    try:
        passwords.change_password(
            uow=uows(),
            who=session[0],
            current_password=current_password,
            new_password=password,
            session_token=request.cookies.get(SESSION_COOKIE, ""),
            passwords=request.app.state.passwords,
        )
    except InvalidInput as error:
        errors = {error.field or "password": _said(error)}
        return _page(request, "password_change.html", session, 422, errors=errors)
    return RedirectResponse("/account/password?done=1", status_code=303)


# --- a hub admin's forced reset --------------------------------------------------------------


@router.get("/admin/password-reset")
def force_form(request: Request, session: PageSession):
    require(session[0].is_hub_admin, "force a password reset")
    return _page(request, "password_force.html", session)


@router.post("/admin/password-reset")
def force(
    request: Request,
    uows: Uows,
    session: PageSession,
    settings: SettingsDep,
    email: Email = "",
    csrf_token: Csrf = "",
):
    check_csrf(session[1], csrf_token)
    try:
        passwords.force_password_reset(
            uow=uows(),
            who=session[0],
            email=email,
            public_url=settings.public_url,
            minutes=settings.password_reset_minutes,
        )
    except FIXABLE as error:
        form, errors = {"email": email}, {"email": _said(error)}
        return _page(request, "password_force.html", session, 422, form=form, errors=errors)
    return _page(request, "password_force.html", session, done=email.strip().lower())
