"""Limits on what anyone may do before signing in: a registration or a password reset sends
an e-mail to the address given, so without a limit the form would be a way to send mail to
strangers; a sign-in checks a password, so without one the form would be a way to guess them.
And a limit on guessing the current password once signed in.

Each is a guarded door: its limiter fails closed (``RateLimiter.guarded``), so counters that
cannot be reached refuse these requests (503) rather than let them all through."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Request

from skillcard.config import Settings
from skillcard.domain.checks import RateLimit, client_key
from skillcard.domain.sign_in_throttle import SignInLimits
from skillcard.services.accounts import sign_in_throttle
from skillcard.services.audit.audit import utcnow
from skillcard.services.checks import rate_limits
from skillcard.services.checks.rate_limits import RateLimiter

T = TypeVar("T")
SIGN_IN_COUNTING_THREADS = 8

REGISTRATION_WINDOW_SECONDS = 3600


def limit_registrations(request: Request, limiter: RateLimiter, client: str) -> None:
    """Count one registration from this client (429 once the hour's allowance is used)."""
    settings = request.app.state.settings
    rate_limits.enforce(
        limiter.guarded(),
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
        rate_limits.enforce(
            limiter.guarded(), key=key, rule=rule, now=utcnow(), doing="password resets"
        )


PASSWORD_CHANGES_PER_HOUR = 10


def limit_password_changes(limiter: RateLimiter, user_id: int | None) -> None:
    """Count one password change by this user (429 past ten an hour): a change checks the
    current password, and a stolen session must not be a way to guess it at leisure."""
    rule = RateLimit(PASSWORD_CHANGES_PER_HOUR, REGISTRATION_WINDOW_SECONDS)
    key = f"password-change:user:{user_id}"
    rate_limits.enforce(
        limiter.guarded(), key=key, rule=rule, now=utcnow(), doing="password changes"
    )


def sign_in_limits(settings: Settings) -> SignInLimits:
    return SignInLimits.of(
        slow_after=settings.sign_in_slow_after,
        lock_after=settings.sign_in_lock_after,
        address_per_minute=settings.sign_in_address_per_minute,
        address_per_hour=settings.sign_in_address_per_hour,
        account_limit=settings.sign_in_account_limit,
        account_window_seconds=settings.sign_in_account_window_seconds,
    )


async def throttle_sign_in(
    request: Request, limiter: RateLimiter, client: str, email: str, attempt: Callable[[], T]
) -> T:
    """Run ``attempt`` (a password check) under the sign-in throttle: 429 with Retry-After when
    refused.

    The attempt is counted in threads of its own, not in the pool that the password hashes
    queue in: under a flood of guesses, each is counted (and most refused) on arrival, in the
    window it arrived in, rather than after the hashes ahead of it."""
    state = request.app.state
    counting, hashing = _sign_in_threads(state)
    asked = {
        "limiter": limiter.guarded(),  # no counters, no sign-in: see adapters/rate_limits.py
        "limits": sign_in_limits(state.settings),
        "email": email,
        "client": client,
        "secret": state.settings.secret_key,
    }
    uows = state.uows
    await to_thread.run_sync(partial(sign_in_throttle.admit, uows=uows, **asked), limiter=counting)
    result = await to_thread.run_sync(attempt, limiter=hashing)
    await to_thread.run_sync(partial(sign_in_throttle.cleared, **asked), limiter=counting)
    return result


def _sign_in_threads(state) -> tuple[CapacityLimiter, CapacityLimiter]:
    """Per process: threads that count attempts, and threads that check passwords (a hash is
    CPU-bound: more threads than cores would only make each wait longer)."""
    if getattr(state, "sign_in_threads", None) is None:
        state.sign_in_threads = (
            CapacityLimiter(SIGN_IN_COUNTING_THREADS),
            CapacityLimiter(max(2, os.cpu_count() or 2)),
        )
    return state.sign_in_threads


def limit_suspect_reports(
    request: Request, limiter: RateLimiter, client: str, user_id: int | None
) -> None:
    """Count one report of a suspect card (429 once the hour's allowance is used): a report
    lands in a scheme's queue, so without a limit the form would be a way to flood it."""
    settings = request.app.state.settings
    if user_id is None:
        key, limit = f"report:anon:{client}", settings.suspect_report_rate_limit
    else:
        key, limit = f"report:user:{user_id}", settings.suspect_report_signed_in_rate_limit
    rate_limits.enforce(
        limiter.guarded(),
        key=key,
        rule=RateLimit(limit, REGISTRATION_WINDOW_SECONDS),
        now=utcnow(),
        doing="reports",
    )
