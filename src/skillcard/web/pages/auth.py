"""Signing in and out. Sessions are rows in the database; the cookie holds only a random key."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from skillcard.errors import NotAuthenticated, RateLimited
from skillcard.services.accounts import accounts
from skillcard.web.abuse import throttle_sign_in
from skillcard.web.deps import (
    SESSION_COOKIE,
    AnonymousClient,
    Limiter,
    OptionalPageSession,
    SettingsDep,
    Uows,
)
from skillcard.web.pages.forms import check_csrf, safe_next
from skillcard.web.pages.rendering import render

router = APIRouter()
LOGIN_CSRF_COOKIE = "skillcard_login_csrf"


def _login_page(
    request: Request,
    *,
    next_url: str,
    email: str = "",
    error: str = "",
    status: int = 200,
    throttled: bool = False,
):
    # Before sign-in there is no session to hold a CSRF token: the form and a cookie carry the
    # same random value (double submit), so another site cannot sign a visitor in as itself.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "next": next_url,
            "email": email,
            "error": error,
            "throttled": throttled,  # the message then says how to get back in
            "login_csrf": token,
        },
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
        max_age=3600,
    )
    return response


@router.get("/login")
def login_form(request: Request, session: OptionalPageSession, next: str = "/"):
    if session:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    uows: Uows,
    settings: SettingsDep,
    limiter: Limiter,
    client: AnonymousClient,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
):
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token)
    if not email.strip() or not password:
        return _login_page(
            request,
            next_url=safe_next(next),
            email=email,
            status=422,
            error="Enter your e-mail address and your password",
        )
    try:
        signed_in = await throttle_sign_in(
            request,
            limiter,
            client,
            email,
            partial(
                accounts.sign_in,
                uow=uows(),
                email=email,
                password=password,
                session_hours=settings.session_hours,
                passwords=request.app.state.passwords,
            ),
        )
    except (NotAuthenticated, RateLimited) as error:
        throttled = isinstance(error, RateLimited)
        page = _login_page(
            request,
            next_url=safe_next(next),
            email=email,
            error=error.message[:1].upper() + error.message[1:],
            status=error.http_status,
            throttled=throttled,
        )
        page.headers.update(error.headers or {})
        return page
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=int(settings.session_hours * 3600),
    )
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, httponly=True, samesite="strict", secure=settings.cookie_secure
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    uows: Uows,
    session: OptionalPageSession,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    if session:
        check_csrf(session[1], csrf_token)
        accounts.sign_out(uow=uows(), token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
    )
    return response
