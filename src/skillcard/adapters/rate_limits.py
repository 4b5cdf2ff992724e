"""Rate counters in Redis (``SKILLCARD_REDIS_URL``), on the ``limits`` library: its Redis
storage (one Lua round trip counts a hit and sets the counter's expiry), its keys, and its
async storage for the event loop. Without Redis the counters are rows of the database
(``services/rate_limits.DatabaseRateLimiter``, ``adapters/db/rate_counters.py``): ``limits``
has no SQL storage, and the embedded default has no Redis to count in.

The windows are ``limits``' fixed windows: a client's window starts with its first hit and
lasts the rule's seconds; its counter's expiry says when it ends (``Retry-After``). One counter
per key and window length, whatever the limit, so that a rule counted with :meth:`hit` (the
sign-in stages, which need the count) and one asked with :meth:`allow` share a counter.

When Redis cannot be reached, one stated behaviour (``fail_closed``):

- public checks fail open: the check is answered and a line logged (a person checking a card
  on site gets an answer; the counters resume when Redis is back);
- the guarded doors (sign-in, and the forms that send e-mail) fail closed:
  :class:`LimitsUnavailable` (503, Retry-After), since without their counters nothing would
  stop password guessing or mail bombing. See ``web/deps.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string

from skillcard.errors import LimitsUnavailable

log = logging.getLogger(__name__)

KEY_PREFIX = "skillcard:rate"
TIMEOUTS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
STORE_DOWN_RETRY_SECONDS = 30


def _window(window_seconds: int) -> RateLimitItemPerSecond:
    return RateLimitItemPerSecond(1, window_seconds, namespace="skillcard")


def _seconds_left(expires_at: float, window_seconds: int) -> int:
    left = math.ceil(expires_at - time.time())
    return max(1, min(window_seconds, left))


class LimitsRateLimiter:
    """A :class:`skillcard.services.checks.rate_limits.RateLimiter` on a ``limits`` storage."""

    def __init__(self, storage, *, fail_closed: bool = False) -> None:
        self.storage = storage
        self.fail_closed = fail_closed

    @classmethod
    def from_url(cls, url: str, *, prefix: str = KEY_PREFIX, **kwargs) -> LimitsRateLimiter:
        return cls(storage_from_string(url, key_prefix=prefix, **TIMEOUTS), **kwargs)

    def guarded(self) -> LimitsRateLimiter:
        """The same counters, failing closed when the storage cannot be reached."""
        return type(self)(self.storage, fail_closed=True)

    def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        count = self.hit(key, window_seconds, now)
        return count <= limit

    def hit(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        item = _window(window_seconds)
        try:
            return self.storage.incr(item.key_for(key), item.get_expiry())
        except self.storage.base_exceptions:
            return self._store_down(key)

    def retry_after(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        try:
            expires = self.storage.get_expiry(_window(window_seconds).key_for(key))
        except self.storage.base_exceptions:
            return STORE_DOWN_RETRY_SECONDS
        return _seconds_left(expires, window_seconds)

    def forget(self, key: str, window_seconds: int, now: dt.datetime) -> None:
        try:
            self.storage.clear(_window(window_seconds).key_for(key))
        except self.storage.base_exceptions:
            log.warning("rate counter %s not forgotten: Redis cannot be reached", key)

    def _store_down(self, key: str) -> int:
        if self.fail_closed:
            log.error("rate counter %s cannot be reached: refusing (fails closed)", key)
            raise LimitsUnavailable(
                "this is paused for a moment: the service that counts attempts cannot be "
                f"reached. Try again in {STORE_DOWN_RETRY_SECONDS} seconds",
                retry_after=STORE_DOWN_RETRY_SECONDS,
            )
        log.warning("rate counter %s cannot be reached: allowing (fails open)", key)
        return 0

    def close(self) -> None:
        self.storage.storage.close()  # limits keeps redis-py's client there


class AsyncLimitsRateLimiter:
    """The same counters, for the event loop (the API's Smart Check), on ``limits.aio``; a
    public check, so it fails open."""

    def __init__(self, storage) -> None:
        self.storage = storage

    @classmethod
    def from_url(cls, url: str, *, prefix: str = KEY_PREFIX) -> AsyncLimitsRateLimiter:
        # redis-py's asyncio client, the one skillcard already has (coredis is the default)
        uri = "async+" + url
        return cls(
            storage_from_string(uri, key_prefix=prefix, implementation="redispy", **TIMEOUTS)
        )

    async def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        item = _window(window_seconds)
        try:
            count = await self.storage.incr(item.key_for(key), item.get_expiry())
        except self.storage.base_exceptions:
            log.warning("rate counter %s cannot be reached: allowing (fails open)", key)
            return True
        return count <= limit

    async def retry_after(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        try:
            expires = await self.storage.get_expiry(_window(window_seconds).key_for(key))
        except self.storage.base_exceptions:
            return STORE_DOWN_RETRY_SECONDS
        return _seconds_left(expires, window_seconds)

    async def close(self) -> None:
        await self.storage.bridge.storage.aclose()  # limits' bridge keeps redis-py's client


class RedisBudgetCounter:
    """A :class:`skillcard.services.business.business_budget.BudgetCounter` on Redis: INCRBY and
    EXPIRE of every counter in one transaction (MULTI/EXEC), so a draw on a business's minute
    and day is counted at once. If Redis cannot be reached, nothing is counted (0 is returned:
    the check is answered, as the rate limiter allows it) and the failure logged."""

    def __init__(self, client, *, prefix: str = "skillcard:budget:") -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, **kwargs) -> RedisBudgetCounter:
        import redis

        timeouts = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        return cls(redis.Redis.from_url(url, **timeouts), **kwargs)

    def when_counted(self, uow, then) -> None:
        then()  # Redis has counted already

    def add(self, uow, counts) -> list[int]:
        import redis

        pipe = self.client.pipeline(transaction=True)
        for count in counts:
            name = f"{self.prefix}{count.key}:{count.window_start}"
            pipe.incrby(name, count.amount)
            pipe.expire(name, count.window_seconds + 1)
        try:
            answers = pipe.execute()
        except redis.RedisError:
            log.exception("Redis budget counters unavailable: not counting")
            return [0] * len(counts)
        return [int(answer) for answer in answers[0::2]]

    def close(self) -> None:
        self.client.close()


class DatabaseBudgetCounter:
    """The budget's counters in ``rate_limit_counters``, through the caller's unit of work."""

    def when_counted(self, uow, then) -> None:
        uow.rate_limits.when_counted(then)

    def add(self, uow, counts) -> list[int]:
        return uow.rate_limits.add([(c.key, c.window_start, c.amount) for c in counts])


def budget_counter(redis_url: str | None):
    """Where a business's check budget is counted: Redis if configured, else the database."""
    return RedisBudgetCounter.from_url(redis_url) if redis_url else DatabaseBudgetCounter()
