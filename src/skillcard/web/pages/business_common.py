"""What the Business Check pages share: rendering with the business's menu, and showing a
problem above the form it belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form

from skillcard.domain.accounts import Role
from skillcard.errors import Conflict, InvalidInput, NotFound, RateLimited, SkillcardError
from skillcard.web.pages.forms import anonymous_form_token, keep_anonymous_form_token
from skillcard.web.pages.rendering import render

Text = Annotated[str, Form(max_length=200)]
# A spent check budget is shown as plainly, above the form, with its own status (429).
FIXABLE = (InvalidInput, NotFound, Conflict, RateLimited)


def status_of(error: SkillcardError) -> int:
    return 429 if isinstance(error, RateLimited) else 422


def page(request, name, session=None, status=200, **context):
    who, csrf = session or (None, "")
    base = {"who": who, "csrf_token": csrf, "errors": {}, "form": {}, "is_admin": False}
    if who is not None:
        base["is_admin"] = who.role == Role.BUSINESS_ADMIN
        return render(request, name, {**base, **context}, status=status)
    # Registration and invitations are posted before anyone signs in.
    base["form_csrf"] = token = anonymous_form_token(request)
    response = render(request, name, {**base, **context}, status=status)
    keep_anonymous_form_token(request, response, token)
    return response


def problem(error: SkillcardError, field: str) -> dict[str, str]:
    return {field: error.message[:1].upper() + error.message[1:]}
