"""Rate counters in Redis (``SKILLCARD_REDIS_URL``): INCR and EXPIRE in one round trip.

The services ask for a :class:`skillcard.services.rate_limits.RateLimiter`; this one keeps the
database free of a write per check when many processes or machines serve checks.
"""

from __future__ import annotations

import datetime as dt
import logging

from skillcard.domain.checks import RateLimit

log = logging.getLogger(__name__)


class RedisRateLimiter:
    """Fixed windows as Redis keys ``<prefix><key>:<window start>`` that expire on their own.

    If Redis cannot be reached the check is allowed and the failure logged: a person checking
    a card on site gets an answer, and the counters resume when Redis is back.
    """

    def __init__(self, client, *, prefix: str = "skillcard:rate:") -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, **kwargs) -> RedisRateLimiter:
        import redis  # only needed when Redis is configured

        timeouts = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        return cls(redis.Redis.from_url(url, **timeouts), **kwargs)

    def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        return RateLimit(limit, window_seconds).allows(self.hit(key, window_seconds, now))

    def hit(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        import redis

        rule = RateLimit(1, window_seconds)
        counter = f"{self.prefix}{key}:{rule.window_start(now)}"
        try:
            count, _ = _count(self.client.pipeline(transaction=True), counter, rule).execute()
        except redis.RedisError:
            log.exception("Redis rate counter %s unavailable: allowing the request", counter)
            return 0
        return int(count)

    def forget(self, key: str, window_seconds: int, now: dt.datetime) -> None:
        import redis

        counter = f"{self.prefix}{key}:{RateLimit(1, window_seconds).window_start(now)}"
        try:
            self.client.delete(counter)
        except redis.RedisError:
            log.exception("Redis rate counter %s unavailable: not forgotten", counter)

    def close(self) -> None:
        self.client.close()


class AsyncRedisRateLimiter(RedisRateLimiter):
    """The same counters, for the event loop (the API's Smart Check), on ``redis.asyncio``."""

    @classmethod
    def from_url(cls, url: str, **kwargs) -> AsyncRedisRateLimiter:
        import redis.asyncio

        timeouts = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        return cls(redis.asyncio.Redis.from_url(url, **timeouts), **kwargs)

    async def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        return RateLimit(limit, window_seconds).allows(await self.hit(key, window_seconds, now))

    async def hit(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        import redis

        rule = RateLimit(1, window_seconds)
        counter = f"{self.prefix}{key}:{rule.window_start(now)}"
        try:
            pipe = _count(self.client.pipeline(transaction=True), counter, rule)
            count, _ = await pipe.execute()
        except redis.RedisError:
            log.exception("Redis rate counter %s unavailable: allowing the request", counter)
            return 0
        return int(count)

    async def forget(self, key: str, window_seconds: int, now: dt.datetime) -> None:
        import redis

        counter = f"{self.prefix}{key}:{RateLimit(1, window_seconds).window_start(now)}"
        try:
            await self.client.delete(counter)
        except redis.RedisError:
            log.exception("Redis rate counter %s unavailable: not forgotten", counter)

    async def close(self) -> None:
        await self.client.aclose()


def _count(pipe, counter: str, rule: RateLimit):
    pipe.incr(counter)
    pipe.expire(counter, rule.window_seconds + 1)  # outlives its window by a second
    return pipe


class RedisBudgetCounter:
    """A :class:`skillcard.services.business_budget.BudgetCounter` on Redis: INCRBY and
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
