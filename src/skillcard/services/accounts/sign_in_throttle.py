"""Sign-in throttling for every door that takes a password (pages and ``POST /api/v1/tokens``).

The rules are in :mod:`skillcard.domain.sign_in_throttle`; the counters are the rate limiter's
(database or Redis, like the check limits), so they hold across every server process.

    admit(limiter=..., uows=..., limits=..., email=..., client=..., secret=...)   # or 429
    ... check the password (a wrong one leaves the attempt counted) ...
    cleared(limiter=..., limits=..., email=..., client=..., secret=...)          # signed in
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.checks.rate_limits import RateLimiter
from skillcard.services.unit_of_work import AbstractUnitOfWork

THROTTLE = Principal(label="sign-in throttle", role=Role.HUB_ADMIN)


def admit(
    *,
    limiter: RateLimiter,
    uows: Callable[[], AbstractUnitOfWork],
    limits: SignInLimits,
    email: str,
    client: str,
    secret: str,
    now: dt.datetime | None = None,
) -> None:
    """Count one attempt at each stage in turn, before its password is checked; refuse
    (:class:`RateLimited`: 429, Retry-After) at the first stage it exceeds, and count it at no
    later one, so refused guesses do not close the account for others."""
    now = now or utcnow()
    names = subjects(email, client, secret)
    for stage in limits.stages:
        count = limiter.hit(stage.key(names[stage.scope]), stage.rule.window_seconds, now)
        if stage.rule.allows(count):
            continue
        wait = limiter.retry_after(stage.key(names[stage.scope]), stage.rule.window_seconds, now)
        refused = count - stage.rule.limit
        if refusal_is_audited(refused):
            _audit_refusal(uows(), stage, email, names, refused, wait, now)
        raise RateLimited(refusal_message(stage, wait), retry_after=wait)


def cleared(
    *,
    limiter: RateLimiter,
    limits: SignInLimits,
    email: str,
    client: str,
    secret: str,
    now: dt.datetime | None = None,
) -> None:
    """After a sign-in: this account's count from this address starts afresh (a person's own
    typos never add up); the address's and the account's counts stay."""
    now = now or utcnow()
    pair = subjects(email, client, secret)[Scope.PAIR]
    for stage in limits.of_scope(Scope.PAIR):
        limiter.forget(stage.key(pair), stage.rule.window_seconds, now)


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
