"""The HSE answer desk on PostgreSQL: an answer's transaction on the server's event loop.

What :func:`skillcard.services.hse.answers_online.save_answer` reads and writes, through the
async pool the Smart Check uses (``async_pool.py``) instead of the ORM in a worker thread: the
same statements as the unit of work's repositories (built once from them, and prepared), one
connection held for the transaction. In-process, a request saved through the ORM in a worker
thread cost 3.5 ms of CPU, and through this desk 1.1 ms (0.7 ms once the answer was a lane
too: bench/README.md, issue 15, eighth session).

The pool's connections commit asynchronously (fit for check log lines); an answer is the
candidate's work, so its transaction waits for its commit to reach the disk, as the unit of
work's does (``SET LOCAL synchronous_commit``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row, namedtuple_row

from skillcard.adapters.db import tables_hse
from skillcard.adapters.db.account_repositories import NOTE_TOKEN_USE, TOKEN_HOLDER
from skillcard.adapters.db.async_pool import AsyncPool, compiled
from skillcard.adapters.db.hse_repositories import answer_upsert
from skillcard.domain.assessment_attempts import Attempt
from skillcard.errors import Unavailable
from skillcard.services.ports.accounts import ApiTokenHolder
from skillcard.services.ports.hse import OpenAnswer

T = TypeVar("T")

log = logging.getLogger(__name__)

_DURABLE = "SET LOCAL synchronous_commit TO on"
_FIELDS = [field.name for field in dataclasses.fields(Attempt)]
_attempts = tables_hse.hse_attempts
_ATTEMPT = compiled(
    sa.select(*(_attempts.c[name] for name in _FIELDS))
    .where(_attempts.c.id == sa.bindparam("id"))
    .with_for_update()
)
_TOKEN_HOLDER = compiled(TOKEN_HOLDER)
_SAVE = compiled(answer_upsert(postgres=True))
_NOTE_USE = compiled(NOTE_TOKEN_USE)


class PostgresAnswerDesk:
    """A :class:`skillcard.services.ports.hse.AnswerDesk`; one per server process.

    An answer is two round trips to PostgreSQL, in psycopg's pipeline mode: the transaction
    begun, the token's holder and the attempt locked, in one; the writes and the commit in
    the other (five, one statement at a time, cost 1.50 ms of CPU against 1.08 ms:
    bench/README.md)."""

    def __init__(self, pool: AsyncPool) -> None:
        self._pool = pool

    async def run(self, work: Callable[[OpenAnswer], Awaitable[T]]) -> T:
        """``work`` in a transaction, committed when it returns and rolled back if it
        raises. A connection found lost before anything was written (PostgreSQL restarted,
        say) is replaced and ``work`` run once more, as the pool's reads are."""
        for tries in range(2):
            answer = None
            try:
                async with self._pool.connection() as connection:
                    try:
                        async with connection.pipeline():
                            answer = _OpenAnswer(connection.cursor(), connection.cursor())
                            await answer.begin()
                            done = await work(answer)
                            await answer.commit()
                        return done
                    finally:
                        await _end_if_open(connection)
            except psycopg.OperationalError as error:
                if tries or answer is None or answer.wrote:
                    # as the unit of work's lost database is answered: 503, try again
                    raise Unavailable() from error
                log.warning("a database connection was lost: connecting again")
                await self._pool.reconnect()
        raise AssertionError("unreachable")


async def _end_if_open(connection: psycopg.AsyncConnection) -> None:
    """Roll back a transaction not committed (``work`` raised, or a statement failed), so
    that the connection goes back to the pool idle; one that cannot (lost, or cancelled half
    way through a round trip) is closed, and the pool makes another."""
    if connection.closed or connection.info.transaction_status == TransactionStatus.IDLE:
        return
    try:
        await connection.execute("ROLLBACK")
    except Exception:
        await connection.close()


class _OpenAnswer:
    """A :class:`skillcard.services.ports.hse.OpenAnswer` on a connection in pipeline mode:
    a statement is sent with the next one that waits for a result."""

    def __init__(self, cursor: psycopg.AsyncCursor[Any], other: psycopg.AsyncCursor[Any]):
        self._cursor, self._other = cursor, other
        self.wrote = False

    async def begin(self) -> None:
        await self._cursor.execute("BEGIN")
        await self._cursor.execute(_DURABLE)

    async def commit(self) -> None:
        await self._cursor.execute("COMMIT")

    async def holder_and_attempt(
        self, token_hash: str | None, attempt_id: int
    ) -> tuple[ApiTokenHolder | None, Attempt | None]:
        self._cursor.row_factory, self._other.row_factory = namedtuple_row, dict_row
        if token_hash is not None:
            await self._cursor.execute(_TOKEN_HOLDER, {"token_hash": token_hash}, prepare=True)
        await self._other.execute(_ATTEMPT, {"id": attempt_id}, prepare=True)
        holder: ApiTokenHolder | None = None
        if token_hash is not None:
            holder = await self._cursor.fetchone()
        row = await self._other.fetchone()
        # psycopg gives a timestamptz in the session's zone; stored moments are read in UTC
        attempt = None if row is None else Attempt(**{k: _in_utc(v) for k, v in row.items()})
        return holder, attempt

    async def save(
        self, attempt: Attempt, item_id: int, choice: int | None, seq: int, now: dt.datetime
    ) -> None:
        self.wrote = True
        values = {"attempt_id": attempt.id, "item_id": item_id, "choice": choice, "seq": seq}
        await self._cursor.execute(_SAVE, {**values, "at": now}, prepare=True)

    async def note_token_use(
        self, token_id: int, now: dt.datetime, stale_before: dt.datetime
    ) -> None:
        self.wrote = True
        params = {"token_id": token_id, "now": now, "stale_before": stale_before}
        await self._cursor.execute(_NOTE_USE, params, prepare=True)


def _in_utc(value: Any) -> Any:
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value
