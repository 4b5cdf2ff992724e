"""What the check API and the check page share: the rate limit and the answer's public shape."""

from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi import Request

from skillcard.domain.accounts import Principal
from skillcard.domain.checks import RateLimit
from skillcard.services import photos, rate_limits
from skillcard.services.audit import utcnow
from skillcard.services.checks import PublicCheckResult
from skillcard.services.rate_limits import RateLimiter


def limit_checks(
    request: Request,
    limiter: RateLimiter,
    *,
    who: Principal | None,
    client: str,
    now: dt.datetime | None = None,
) -> None:
    """Count one check against its allowance: a signed-in user's own, larger one, or the
    anonymous client's. :class:`RateLimited` (429) once it is used up."""
    settings = request.app.state.settings
    limit = settings.check_rate_limit_signed_in if who else settings.check_rate_limit_anonymous
    rate_limits.enforce(
        limiter,
        key=rate_limits.check_limit_key(who, client),
        rule=RateLimit(limit, settings.check_rate_limit_window_seconds),
        now=now or utcnow(),
        doing="checks",
    )


def with_photo_url(request: Request, result: PublicCheckResult) -> PublicCheckResult:
    """The answer with a short-lived signed link to the holder's photo, when there is one:
    whoever checked the card may see the face on it, for a few minutes, and no more."""
    digest = result.view.photo_sha256
    if not digest:
        return result
    token = photos.photo_token(secret=request.app.state.settings.secret_key, sha256=digest)
    return dataclasses.replace(result, photo_url=f"/photos/{digest}?t={token}")


def public_answer(result: PublicCheckResult) -> dict:
    """The answer as the API gives it: the public view, whether it is valid, and when."""
    view = result.view
    return {
        "outcome": view.outcome.value,
        "valid": view.valid,
        "colour": view.colour.value,
        "reasons": list(view.reasons),
        "warnings": list(view.warnings),
        "checked_at": result.checked_at,
        "scheme": view.scheme,
        "card_number": view.card_number,
        "holder_name": view.holder_name,
        "photo_sha256": view.photo_sha256,
        "photo_url": result.photo_url,
        "card_type": view.card_type,
        "occupation": view.occupation,
        "qualifications": list(view.qualifications),
        "expires_on": view.expires_on,
    }
