"""Limits on what anyone may do before signing in: a registration or a password reset sends
an e-mail to the address given, so without a limit the form would be a way to send mail to
strangers. And a limit on guessing the current password once signed in."""

from __future__ import annotations

from fastapi import Request

from skillcard.domain.checks import RateLimit, client_key
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


def limit_password_resets(request: Request, limiter: RateLimiter, client: str, email: str) -> None:
    """Count one reset request from this client and one for this address (429 once either
    hour's allowance is used): a reset e-mails the address, and the address's count is kept
    whether or not it has an account, so a 429 tells nothing either."""
    settings = request.app.state.settings
    rule = RateLimit(settings.password_reset_rate_limit, REGISTRATION_WINDOW_SECONDS)
    address = client_key(email.strip().lower(), settings.secret_key)
    for key in (f"reset:anon:{client}", f"reset:email:{address}"):
        rate_limits.enforce(limiter, key=key, rule=rule, now=utcnow(), doing="password resets")


PASSWORD_CHANGES_PER_HOUR = 10


def limit_password_changes(limiter: RateLimiter, user_id: int | None) -> None:
    """Count one password change by this user (429 past ten an hour): a change checks the
    current password, and a stolen session must not be a way to guess it at leisure."""
    rule = RateLimit(PASSWORD_CHANGES_PER_HOUR, REGISTRATION_WINDOW_SECONDS)
    key = f"password-change:user:{user_id}"
    rate_limits.enforce(limiter, key=key, rule=rule, now=utcnow(), doing="password changes")
