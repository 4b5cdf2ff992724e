"""Rate limits that hold across every server process: counters in the database, or in Redis.

    limiter.allow(key, limit, window_seconds, now) -> bool
    limiter.retry_after(key, window_seconds, now) -> int      (seconds, for a refusal)

A fixed window (see :class:`skillcard.domain.checks.RateLimit`): simple, and one counter per
client per window is one row or one Redis key, so any number of processes share it. A client
can make up to twice the limit across a window boundary; for stopping number-and-surname
guessing that is plenty. In the database the windows start at multiples of their length; in
Redis (``limits``: ``adapters/rate_limits.py``) at a client's first hit, so each limiter says
when its window ends.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Protocol

from skillcard.domain.accounts import Principal
from skillcard.domain.checks import MAX_WINDOW_SECONDS, PURGE_CHANCE, RateLimit
from skillcard.errors import RateLimited
from skillcard.services.unit_of_work import AbstractUnitOfWork


class RateLimiter(Protocol):
    def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        """Count one hit of ``key``; True while the window's hits are within ``limit``."""
        ...

    def hit(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        """Count one hit of ``key`` and return the window's hits so far (0 if the counters
        cannot be reached: the caller then allows, as ``allow`` does)."""
        ...

    def forget(self, key: str, window_seconds: int, now: dt.datetime) -> None:
        """Start ``key``'s current window afresh (a sign-in that succeeded)."""
        ...

    def retry_after(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        """Whole seconds until ``key``'s current window ends (at least one)."""
        ...

    def guarded(self) -> RateLimiter:
        """The same counters for a guarded door (sign-in, forms that send e-mail): when they
        cannot be reached it refuses (:class:`LimitsUnavailable`) rather than allows."""
        ...


class AsyncRateLimiter(Protocol):
    """The same, for code on the event loop (the API's Smart Check)."""

    async def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool: ...

    async def retry_after(self, key: str, window_seconds: int, now: dt.datetime) -> int: ...


def aligned_retry_after(window_seconds: int, now: dt.datetime) -> int:
    """For counters whose windows start at multiples of their length (the database's)."""
    return RateLimit(1, window_seconds).retry_after(now)


class DatabaseRateLimiter:
    """Counters in the ``rate_limit_counters`` table: an upsert per hit, in its own short
    transaction, so the count is shared the moment it is committed."""

    def __init__(self, uows: Callable[[], AbstractUnitOfWork]) -> None:
        self._uows = uows

    def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        return RateLimit(limit, window_seconds).allows(self.hit(key, window_seconds, now))

    def hit(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        start = RateLimit(1, window_seconds).window_start(now)
        with self._uows() as uow:
            count = uow.rate_limits.hit(key, start)
            if count == 1:  # a new window for this key: its old ones are of no more use
                uow.rate_limits.forget_key_before(key, start)
            uow.commit()
        if count == 1 and random.random() < PURGE_CHANCE:
            self.purge(before=start - MAX_WINDOW_SECONDS)
        return count

    def retry_after(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        return aligned_retry_after(window_seconds, now)

    def guarded(self) -> DatabaseRateLimiter:
        return self  # a database that cannot be reached fails the request anyway: closed

    def forget(self, key: str, window_seconds: int, now: dt.datetime) -> None:
        with self._uows() as uow:
            uow.rate_limits.forget_key(key)
            uow.commit()

    def purge(self, *, before: int) -> int:
        """Forget counters of windows that started before ``before`` (epoch seconds), such as
        those of clients that never came back."""
        with self._uows() as uow:
            gone = uow.rate_limits.forget_before(before)
            uow.commit()
        return gone


def check_limit_key(who: Principal | None, client: str | None) -> str:
    """Whose allowance a check uses: a signed-in user's own, or an anonymous client's."""
    if who is not None and who.user_id is not None:
        return f"check:user:{who.user_id}"
    return f"check:anon:{client or 'unknown'}"


def enforce(
    limiter: RateLimiter, *, key: str, rule: RateLimit, now: dt.datetime, doing: str
) -> None:
    """Count a hit; :class:`RateLimited` (429, with Retry-After) once the rule is exceeded."""
    if not limiter.allow(key, rule.limit, rule.window_seconds, now):
        raise refusal(rule, limiter.retry_after(key, rule.window_seconds, now), doing)


async def enforce_async(
    limiter: AsyncRateLimiter, *, key: str, rule: RateLimit, now: dt.datetime, doing: str
) -> None:
    """:func:`enforce`, on the event loop."""
    if not await limiter.allow(key, rule.limit, rule.window_seconds, now):
        raise refusal(rule, await limiter.retry_after(key, rule.window_seconds, now), doing)


def refusal(rule: RateLimit, wait: int, doing: str) -> RateLimited:
    return RateLimited(
        f"too many {doing}: at most {rule.limit} every {_duration(rule.window_seconds)}. "
        f"Try again in {wait} second{'s' if wait != 1 else ''}",
        retry_after=wait,
    )


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return "second" if seconds == 1 else f"{seconds} seconds"
