"""Limits on what anyone may do before signing in: a registration sends an e-mail to the
address given, so without a limit the form would be a way to send mail to strangers."""

from __future__ import annotations

from fastapi import Request

from skillcard.domain.checks import RateLimit
from skillcard.services import rate_limits
from skillcard.services.audit import utcnow
from skillcard.services.rate_limits import RateLimiter

REGISTRATION_WINDOW_SECONDS = 3600


def limit_registrations(request: Request, limiter: RateLimiter, client: str) -> None:
    """Count one registration from this client (429 once the hour's allowance is used)."""
    settings = request.app.state.settings
    rate_limits.enforce(
        limiter,
        key=f"register:anon:{client}",
        rule=RateLimit(settings.registration_rate_limit, REGISTRATION_WINDOW_SECONDS),
        now=utcnow(),
        doing="registrations",
    )
