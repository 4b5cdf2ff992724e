"""Reads from a PostgreSQL streaming replica (``SKILLCARD_READ_DATABASE_URL``).

Writes, and the reads that must see a change just made (a sign-in, a token, the page after a
form), go to the primary as before. The read-only paths that may be a moment behind (public
checks, the verifier bundle and its trust and status lists, searches) ask the replica first:

- :func:`replica_first` runs a unit of work on the replica, and again on the primary if the
  replica cannot answer it (down, or the work turned out to need a write: keys to make, a
  status list to sign again);
- :class:`ReadWritePool` gives the API's check desk the replica's connections for its reads and
  the primary's for its writes (the check log), without the desk knowing there are two.

When the primary is down, a check still answers from the replica; its log line goes to the
spool (``adapters/check_spool.py``) and is written when the primary is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TypeVar

import psycopg
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from skillcard.adapters.db.async_pool import AsyncPool
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.config import DEFAULT_SECRET

log = logging.getLogger(__name__)
T = TypeVar("T")
_READ_ONLY_TRANSACTION = "25006"  # a hot standby refuses any write with this SQLSTATE


def needed_the_primary(error: BaseException) -> bool:
    """Whether a replica's refusal means "ask the primary": it is down, or the work wrote."""
    original = getattr(error, "orig", error)
    if getattr(original, "sqlstate", None) == _READ_ONLY_TRANSACTION:
        return True
    return isinstance(error, exc.OperationalError | psycopg.OperationalError)


def replica_first(
    primary: Engine,
    replica: Engine | None,
    work: Callable[[SqlAlchemyUnitOfWork], T],
    *,
    secret_key: str = DEFAULT_SECRET,
    max_lag: float = 5.0,
) -> T:
    """``work`` on a read-only unit of work on the replica, or on the primary if there is no
    replica, it is more than ``max_lag`` seconds behind, or it could not do it.
    ``secret_key`` opens the signing keys either reads."""
    if replica is None or replica is primary:
        return work(SqlAlchemyUnitOfWork(primary, secret_key=secret_key))
    if guard_for(replica, max_lag).behind(replica):
        try:
            return work(SqlAlchemyUnitOfWork(primary, secret_key=secret_key))
        except exc.OperationalError:  # the primary is down: the replica is all there is
            log.warning("the replica is behind and the primary cannot answer: the replica")
    try:
        return work(SqlAlchemyUnitOfWork(replica, read_only=True, secret_key=secret_key))
    except exc.DBAPIError as error:
        if not needed_the_primary(error):
            raise
        log.info("the replica could not answer (%s): asking the primary", type(error).__name__)
    return work(SqlAlchemyUnitOfWork(primary, secret_key=secret_key))


# The replica's delay behind the primary: 0 when it has replayed all it received (an idle
# primary sends nothing, so the time since the last replayed change would grow regardless).
_LAG = sa.text(
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


def replica_lag_seconds(replica: Engine) -> float | None:
    """Seconds the replica is behind, or None when it is not a standby (nothing to say)."""
    with replica.connect() as connection:
        lag = connection.execute(_LAG).scalar()
    return None if lag is None else float(lag)


class LagGuard:
    """Whether the replica is too far behind to be read: a card revoked a moment ago must not
    be answered "valid" from a replica still minutes in the past. Asked at most once a
    ``every`` seconds per process (one small query), and the answer kept between. A replica
    that cannot say (down) is not judged behind: its reads fail over to the primary anyway;
    nor is one whose primary is down (it has received nothing it has not replayed: lag 0)."""

    def __init__(self, max_lag: float = 5.0, every: float = 1.0) -> None:
        self.max_lag, self.every = max_lag, every
        self._asked_at = float("-inf")
        self._behind = False

    def _due(self) -> bool:
        return time.monotonic() - self._asked_at >= self.every

    def _judge(self, lag: float | None) -> bool:
        self._asked_at = time.monotonic()
        behind = lag is not None and lag > self.max_lag
        if behind and not self._behind:
            log.warning("the replica is %.1f s behind: reading from the primary", lag)
        self._behind = behind
        return behind

    def behind(self, replica: Engine) -> bool:
        if self._due():
            try:
                return self._judge(replica_lag_seconds(replica))
            except exc.DBAPIError:
                return self._judge(None)
        return self._behind

    async def behind_async(self, replica: AsyncPool) -> bool:
        if self._due():
            try:
                rows = await replica.read(_LAG.text)
            except psycopg.Error:
                return self._judge(None)
            lag = rows[0][0] if rows else None
            return self._judge(None if lag is None else float(lag))
        return self._behind


_guards: dict[int, LagGuard] = {}
PRIMARY_WITHIN = 0.2  # seconds a read sent to the primary (replica behind) may wait
PRIMARY_RETRY_SECONDS = 5.0  # a primary that failed such a read is not asked again sooner


def guard_for(replica: Engine, max_lag: float) -> LagGuard:
    """The process's guard of one replica engine (one answer a second, shared by threads)."""
    found = _guards.get(id(replica))
    if found is None or found.max_lag != max_lag:
        found = _guards[id(replica)] = LagGuard(max_lag)
    return found


class ReadWritePool:
    """The check desk's pool: reads on the replica (the primary if the replica is down),
    connections for writing on the primary."""

    def __init__(self, primary: AsyncPool, replica: AsyncPool, max_lag: float = 5.0) -> None:
        self.primary, self.replica = primary, replica
        self.guard = LagGuard(max_lag)
        self._primary_failed_at = float("-inf")

    def _primary_may_answer(self) -> bool:
        return time.monotonic() - self._primary_failed_at >= PRIMARY_RETRY_SECONDS

    async def open(self) -> None:
        await self.replica.open()
        await self.primary.open()

    async def close(self) -> None:
        await self.primary.close()
        await self.replica.close()

    async def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        if await self.guard.behind_async(self.replica) and self._primary_may_answer():
            try:
                return await asyncio.wait_for(self.primary.read(sql, params), PRIMARY_WITHIN)
            except (psycopg.Error, TimeoutError):
                # A primary stopped at once leaves its replica with WAL it received but can
                # never replay: "behind" for ever, and the primary gone. The replica is all
                # there is; the primary is not asked again for a while.
                self._primary_failed_at = time.monotonic()
                log.warning("the replica is behind and the primary cannot answer: the replica")
        try:
            return await self.replica.read(sql, params)
        except psycopg.OperationalError:
            log.warning("the replica is not answering: reading from the primary")
            return await self.primary.read(sql, params)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        async with self.primary.connection() as connection:
            yield connection

    def spawn(self, work: Coroutine):
        return self.primary.spawn(work)
