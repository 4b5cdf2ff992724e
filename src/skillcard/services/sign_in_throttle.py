"""Sign-in throttling for every door that takes a password (pages and ``POST /api/v1/tokens``).

The rules are in :mod:`skillcard.domain.sign_in_throttle`; the counters are the rate limiter's
(database or Redis, like the check limits), so they hold across every server process.

    throttled(attempt, limiter=..., uows=..., limits=..., email=..., client=..., secret=...)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.sign_in_throttle import (
    Scope,
    SignInLimits,
    Stage,
    refusal_is_audited,
    refusal_message,
    subjects,
)
from skillcard.errors import RateLimited
from skillcard.services.audit import record, utcnow
from skillcard.services.rate_limits import RateLimiter
from skillcard.services.unit_of_work import AbstractUnitOfWork

T = TypeVar("T")
THROTTLE = Principal(label="sign-in throttle", role=Role.HUB_ADMIN)


def throttled(
    attempt: Callable[[], T],
    *,
    limiter: RateLimiter,
    uows: Callable[[], AbstractUnitOfWork],
    limits: SignInLimits,
    email: str,
    client: str,
    secret: str,
    now: dt.datetime | None = None,
) -> T:
    """Run ``attempt`` (which checks the password) if this client may try this account now;
    :class:`RateLimited` (429, Retry-After) if not. A success clears the pair's counts."""
    now = now or utcnow()
    names = subjects(email, client, secret)
    admit(limiter=limiter, uows=uows, limits=limits, names=names, email=email, now=now)
    result = attempt()  # a wrong password raises, and its attempt stays counted
    for stage in limits.of_scope(Scope.PAIR):
        limiter.forget(stage.key(names[Scope.PAIR]), stage.rule.window_seconds, now)
    return result


def admit(
    *,
    limiter: RateLimiter,
    uows: Callable[[], AbstractUnitOfWork],
    limits: SignInLimits,
    names: dict[Scope, str],
    email: str,
    now: dt.datetime,
) -> None:
    """Count one attempt at each stage in turn; refuse at the first stage it exceeds (and
    count it at no later one, so refused guesses do not close the account for others)."""
    for stage in limits.stages:
        count = limiter.hit(stage.key(names[stage.scope]), stage.rule.window_seconds, now)
        if stage.rule.allows(count):
            continue
        wait = stage.rule.retry_after(now)
        refused = count - stage.rule.limit
        if refusal_is_audited(refused):
            _audit_refusal(uows(), stage, email, names, refused, wait, now)
        raise RateLimited(refusal_message(stage, wait), retry_after=wait)


def _audit_refusal(
    uow: AbstractUnitOfWork,
    stage: Stage,
    email: str,
    names: dict[Scope, str],
    refused: int,
    wait: int,
    now: dt.datetime,
) -> None:
    with uow:
        record(
            uow,
            THROTTLE,
            "sign_in.lock" if refused == 1 else "sign_in.throttled",
            "sign_in",
            email.strip().lower()[:60],
            reason=f"{stage.scope.value} over {stage.rule.limit} in {stage.rule.window_seconds} s",
            detail={
                "scope": stage.scope.value,
                "limit": stage.rule.limit,
                "window_seconds": stage.rule.window_seconds,
                "refused_so_far": refused,  # every refused attempt of this window until now
                "retry_after": wait,
                "client": names[Scope.ADDRESS][:16],
            },
            now=now,
        )
        uow.commit()
