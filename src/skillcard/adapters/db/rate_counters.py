"""Rate counters in PostgreSQL for code on the event loop (the API's Smart Check): the same
``rate_limit_counters`` rows as :class:`skillcard.services.checks.rate_limits.DatabaseRateLimiter`,
so every process, threaded or not, shares one count per client per window.

Two things keep a busy client's row from becoming a queue:

- the hits of one key that arrive while its last upsert is on its way are counted together
  in the next one (``count + n``), each hit then knowing its own place in the window;
- a process may take a few hits ahead (a lease), at most a hundredth of the limit and never
  more than the limit leaves, and allow them without asking again. Leased hits are counted in
  the row when taken, so the limit is never exceeded; a client may at worst be refused a few
  hits early, those another process took and has not used yet. The public allowance (tens a
  minute) is too small to lease from: it is counted hit by hit, exactly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from skillcard.adapters.db import tables
from skillcard.adapters.db.async_pool import AsyncPool, compiled
from skillcard.domain.checks import MAX_WINDOW_SECONDS, PURGE_CHANCE, RateLimit

log = logging.getLogger(__name__)

LEASE_SHARE = 100  # a lease is at most this fraction of the limit
MAX_LEASE = 64

_r = tables.rate_limit_counters
_upsert = postgresql.insert(_r).values(
    key=sa.bindparam("key"), window_start=sa.bindparam("window_start"), count=sa.bindparam("n")
)
_HIT = compiled(
    _upsert.on_conflict_do_update(
        index_elements=[_r.c.key, _r.c.window_start],
        set_={"count": _r.c.count + _upsert.excluded.count},
    ).returning(_r.c.count)
)
_FORGET_KEY = compiled(
    sa.delete(_r).where(
        _r.c.key == sa.bindparam("key"), _r.c.window_start < sa.bindparam("window_start")
    )
)
_FORGET = compiled(sa.delete(_r).where(_r.c.window_start < sa.bindparam("window_start")))

Counter = tuple[str, int]  # key, window start


def lease_size(rule: RateLimit) -> int:
    return max(1, min(MAX_LEASE, rule.limit // LEASE_SHARE))


class PostgresRateLimiter:
    """An :class:`skillcard.services.checks.rate_limits.AsyncRateLimiter`; one per process."""

    def __init__(self, pool: AsyncPool) -> None:
        self._pool = pool
        self._waiting: dict[Counter, list[asyncio.Future[bool]]] = {}
        self._counting: set[Counter] = set()
        self._leased: dict[Counter, int] = {}  # hits taken ahead and not used yet

    async def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        rule = RateLimit(limit, window_seconds)
        counter = (key, rule.window_start(now))
        spare = self._leased.get(counter)
        if spare:
            if spare > 1:
                self._leased[counter] = spare - 1
            else:
                del self._leased[counter]
            return True
        answer = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(counter, []).append(answer)
        if counter not in self._counting:
            self._counting.add(counter)
            self._pool.spawn(self._count(counter, rule))
        return await answer

    async def retry_after(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        return RateLimit(1, window_seconds).retry_after(now)

    async def _count(self, counter: Counter, rule: RateLimit) -> None:
        """Count the hits waiting on ``counter`` (and a lease) in one upsert, until none wait."""
        key, start = counter
        try:
            while waiting := self._waiting.pop(counter, None):
                asked = len(waiting) + lease_size(rule) - 1
                try:
                    async with self._pool.connection() as connection:
                        cursor = await connection.execute(
                            _HIT, {"key": key, "window_start": start, "n": asked}, prepare=True
                        )
                        row = await cursor.fetchone()
                        assert row is not None  # the upsert returns the counter's row
                        total = row[0]
                except Exception as error:
                    for answer in waiting:
                        if not answer.done():
                            answer.set_exception(error)
                    continue
                first = total - asked + 1  # the place in the window of the first hit asked
                for place, answer in enumerate(waiting, start=first):
                    if not answer.done():  # else its request was given up
                        answer.set_result(rule.allows(place))
                spare = min(total, rule.limit) - (first + len(waiting) - 1)
                if spare > 0:
                    self._leased[counter] = self._leased.get(counter, 0) + spare
                if first == 1:  # a new window for this key: its old ones are of no more use
                    self._forget_before(key, start)
                    self._pool.spawn(self._forget(key, start))  # the hits waiting go first
        finally:
            self._counting.discard(counter)

    def _forget_before(self, key: str, start: int) -> None:
        for counter in [c for c in self._leased if c[0] == key and c[1] < start]:
            del self._leased[counter]
        if len(self._leased) > 10_000:  # many keys with spare hits: drop those of past windows
            for counter in [c for c in self._leased if c[1] < start - MAX_WINDOW_SECONDS]:
                del self._leased[counter]

    async def _forget(self, key: str, start: int) -> None:
        try:
            async with self._pool.connection() as connection:
                await connection.execute(_FORGET_KEY, {"key": key, "window_start": start})
                if random.random() < PURGE_CHANCE:
                    await connection.execute(_FORGET, {"window_start": start - MAX_WINDOW_SECONDS})
        except psycopg.Error:
            log.exception("could not forget old rate counters of %s", key)
