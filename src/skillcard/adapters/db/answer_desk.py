"""The HSE answer desk on PostgreSQL: an answer's transaction on the server's event loop.

What :func:`skillcard.services.hse.answers_online.save_answer` reads and writes, through the
async pool the Smart Check uses (``async_pool.py``) instead of the ORM in a worker thread: the
same statements as the unit of work's repositories (built once from them, and prepared), one
connection held for the transaction. In-process, a request saved through the ORM in a worker
thread cost 3.5 ms of CPU, and through this desk 1.5 ms (bench/README.md, issue 15, eighth
session).

The pool's connections commit asynchronously (fit for check log lines); an answer is the
candidate's work, so its transaction waits for its commit to reach the disk, as the unit of
work's does (``SET LOCAL synchronous_commit``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.rows import dict_row, namedtuple_row

from skillcard.adapters.db import tables_hse
from skillcard.adapters.db.account_repositories import NOTE_TOKEN_USE, TOKEN_HOLDER
from skillcard.adapters.db.async_pool import AsyncPool, compiled
from skillcard.adapters.db.hse_repositories import answer_upsert
from skillcard.domain.assessment_attempts import Attempt
from skillcard.services.ports.accounts import ApiTokenHolder

log = logging.getLogger(__name__)

_BEGIN = "BEGIN; SET LOCAL synchronous_commit TO on"  # two statements, one round trip
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
    """A :class:`skillcard.services.ports.hse.AnswerDesk`; one per server process."""

    def __init__(self, pool: AsyncPool) -> None:
        self._pool = pool

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[_OpenAnswer]:
        cursor, held = await self._begun()
        async with held:
            try:
                yield _OpenAnswer(cursor)
            except BaseException:
                await _roll_back(cursor.connection)
                raise
            await cursor.execute("COMMIT")

    async def _begun(self) -> tuple[psycopg.AsyncCursor[Any], contextlib.AsyncExitStack]:
        """A cursor in a transaction begun, and what gives its connection back. A connection
        lost meanwhile (PostgreSQL restarted, say) is replaced, and the transaction begun
        once more, as the pool's reads are."""
        for tries in range(2):
            async with contextlib.AsyncExitStack() as stack:
                connection = await stack.enter_async_context(self._pool.connection())
                cursor = connection.cursor()
                try:
                    await cursor.execute(_BEGIN)
                except psycopg.OperationalError:
                    if tries:
                        raise
                    log.warning("a database connection was lost: connecting again")
                    continue  # the lost connection goes back: the pool replaces it
                return cursor, stack.pop_all()
            await self._pool.reconnect()
        raise AssertionError("unreachable")


async def _roll_back(connection: psycopg.AsyncConnection) -> None:
    """Roll back; a connection that cannot (lost, or a statement cancelled half way) is
    closed, and the pool makes another."""
    try:
        await connection.execute("ROLLBACK")
    except Exception:
        await connection.close()


class _OpenAnswer:
    """A :class:`skillcard.services.ports.hse.OpenAnswer` on one connection's cursor."""

    def __init__(self, cursor: psycopg.AsyncCursor[Any]) -> None:
        self._cursor = cursor

    async def token_holder(self, token_hash: str) -> ApiTokenHolder | None:
        self._cursor.row_factory = namedtuple_row
        await self._cursor.execute(_TOKEN_HOLDER, {"token_hash": token_hash}, prepare=True)
        holder: ApiTokenHolder | None = await self._cursor.fetchone()
        return holder

    async def attempt(self, attempt_id: int) -> Attempt | None:
        self._cursor.row_factory = dict_row
        await self._cursor.execute(_ATTEMPT, {"id": attempt_id}, prepare=True)
        row = await self._cursor.fetchone()
        if row is None:
            return None
        # psycopg gives a timestamptz in the session's zone; stored moments are read in UTC
        return Attempt(
            **{k: _in_utc(v) if isinstance(v, dt.datetime) else v for k, v in row.items()}
        )

    async def save(
        self, attempt: Attempt, item_id: int, choice: int | None, seq: int, now: dt.datetime
    ) -> None:
        values = {"attempt_id": attempt.id, "item_id": item_id, "choice": choice, "seq": seq}
        await self._cursor.execute(_SAVE, {**values, "at": now}, prepare=True)

    async def note_token_use(
        self, token_id: int, now: dt.datetime, stale_before: dt.datetime
    ) -> None:
        params = {"token_id": token_id, "now": now, "stale_before": stale_before}
        await self._cursor.execute(_NOTE_USE, params, prepare=True)


def _in_utc(value: Any) -> Any:
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value
