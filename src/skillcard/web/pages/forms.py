"""What every page form shares: the CSRF check and where to go after."""

from __future__ import annotations

import secrets

from fastapi import Request

from skillcard.errors import CsrfFailure
from skillcard.services.accounts.accounts import csrf_matches


def check_csrf(expected: str, given: str | None) -> None:
    if not csrf_matches(expected, given):
        raise CsrfFailure(
            "this form has expired or did not come from skillcard: go back, reload the page "
            "and try again"
        )


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an address elsewhere (open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


# Before sign-in there is no session to hold a CSRF token: the form and a cookie carry the same
# random value (double submit), so another site cannot post the form in a visitor's name.
FORM_CSRF_COOKIE = "skillcard_form_csrf"


def anonymous_form_token(request: Request) -> str:
    return request.cookies.get(FORM_CSRF_COOKIE) or secrets.token_urlsafe(32)


def keep_anonymous_form_token(request: Request, response, token: str) -> None:
    response.set_cookie(
        FORM_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
        max_age=3600,
    )


def check_anonymous_form(request: Request, given: str | None) -> None:
    check_csrf(request.cookies.get(FORM_CSRF_COOKIE, ""), given)
