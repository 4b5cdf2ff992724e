"""The Smart Check desk on PostgreSQL: the API's checks by number and surname, on the event
loop, with the log lines of the checks that arrive together written together.

Every check needs three things of the database: a count against its client's rate limit
(``rate_counters.py``), the card, and a line in the check log. Done one by one in a worker
thread through the ORM, that was about 2.4 ms of CPU per check, and a server of two processes
stopped at about 500 checks a second (bench/README.md). Here:

- psycopg's async driver on the server's own event loop (``async_pool.py``), and statements
  built once from ``tables.py`` and prepared;
- the card, its holder, its titles and its verified qualifications come in one statement;
- a check's line in the log is written LOG_LINGER_SECONDS after it is queued, with the lines
  of the checks made meanwhile, in one statement. The API answers first and stores the line
  just after the answer has gone (``web/api/checks.py``): a line is lost only if the server
  process dies in those milliseconds. The threaded path (SQLite, the check page, the CLI)
  stores the line in the transaction that reads the card.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import time

import psycopg
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.db.async_pool import AsyncPool, compiled
from skillcard.adapters.db.check_repositories import card_facts_query, card_on_record
from skillcard.adapters.db.replica import ReadWritePool
from skillcard.domain.checks import CardOnRecord, Check
from skillcard.domain.scheme_directory import EMPTY, SchemeDirectory, resolve_or_reread
from skillcard.domain.schemes import Scheme

log = logging.getLogger(__name__)

# A line waits this long for others to be written with. Each write costs the server about
# 0.25 ms of CPU whether it holds one line or thirty; at 5 ms a busy process wrote two or
# three lines at a time, a tenth of its CPU (bench/README.md, sixth round).
LOG_LINGER_SECONDS = 0.025
LOG_BATCH = 200  # lines: no waiting once this many are queued

_held, _q = tables.held_qualifications.c, tables.qualifications.c
_TITLES = (
    sa.select(sa.func.coalesce(_q.title, _held.qualification_code))
    .select_from(tables.held_qualifications)
    .outerjoin(tables.qualifications, _q.code == _held.qualification_code)
    # only what the scheme has seen: never a self-declared claim
    .where(_held.cardholder_id == tables.cardholders.c.id, _held.verified.is_(True))
    .order_by(_held.achieved_on, _held.id)
)
# The titles of card types and occupations are the desk's own copy of reference data (as the
# schemes are): joined in the statement, they made PostgreSQL hash the occupations afresh for
# every check (EXPLAIN), for two titles that change a few times a year.
_CARD = compiled(
    card_facts_query(
        tables.cards.c.card_type_id,
        tables.cards.c.occupation_id,
        sa.func.array(_TITLES.scalar_subquery()).label("titles"),
    )
)
_SCHEME_FIELDS = [field.name for field in dataclasses.fields(Scheme)]
_SCHEMES = compiled(sa.select(*(tables.schemes.c[name] for name in _SCHEME_FIELDS)))
_CARD_TYPES = compiled(sa.select(tables.card_types.c.id, tables.card_types.c.title))
_OCCUPATIONS = compiled(sa.select(tables.occupations.c.id, tables.occupations.c.title))
_LOGGED = (
    "checked_at", "method", "outcome", "card_id", "scheme_id", "checker_user_id", "client_key",
    "site", "synced_at", "warnings",
)  # fmt: skip
# One line is inserted; several are copied: COPY costs two round trips and more on both sides
# for a single row, and less than separate inserts from a few rows on (measured).
_LOG_ONE = compiled(
    tables.checks.insert().values({name: sa.bindparam(name) for name in _LOGGED}).inline()
)
_LOG_MANY = f"COPY {tables.checks.name} ({', '.join(_LOGGED)}) FROM STDIN"

Line = tuple[tuple, asyncio.Future[None]]


class PostgresCheckDesk:
    """A :class:`skillcard.services.checks.online_checks.CheckDesk`; one per server process."""

    def __init__(self, pool: AsyncPool | ReadWritePool) -> None:
        self._pool = pool
        self._directory = EMPTY
        self._card_types: dict[int, str] = {}
        self._occupations: dict[int, str] = {}
        self._reading: asyncio.Future[None] | None = None
        self._lines: list[Line] = []
        self._writing = False

    # ----------------------------------------------------------------------------------------
    # Schemes, card types and occupations

    async def scheme_for_number(self, number: str, scheme_code: str | None) -> tuple[Scheme, str]:
        """As :func:`skillcard.services.registry.cards.scheme_for_number`, from the desk's
        :class:`SchemeDirectory`, by its rule: a stale one is read again in the background
        (checks go on with the copy they have meanwhile), a miss reads it again at once."""
        now = time.monotonic()
        if not self._directory.schemes:
            await self._read_reference()
        elif self._directory.is_stale(now):
            self._refresh_soon()
        answer = resolve_or_reread(self._directory, number, scheme_code, now=now)
        if answer is None:
            await self._read_reference()
            answer = self._directory.resolve(number, scheme_code)
        return answer

    def _refresh_soon(self) -> None:
        if self._reading is None or self._reading.done():
            self._reading = self._pool.spawn(self._read_reference_now())
            self._reading.add_done_callback(_log_failure)

    async def _read_reference(self) -> None:
        """Read the reference data once for every check that asks at the same moment: each
        reading on its own, a thousand checks a second would queue behind their reads."""
        if self._reading is not None and not self._reading.done():
            await asyncio.shield(self._reading)
            return
        self._reading = asyncio.ensure_future(self._read_reference_now())
        await asyncio.shield(self._reading)

    async def _read_reference_now(self) -> None:
        self._card_types = dict(await self._pool.read(_CARD_TYPES))
        self._occupations = dict(await self._pool.read(_OCCUPATIONS))
        rows = await self._pool.read(_SCHEMES)
        self._directory = SchemeDirectory(
            (Scheme(**dict(zip(_SCHEME_FIELDS, row, strict=True))) for row in rows),
            time.monotonic(),
        )

    # ----------------------------------------------------------------------------------------
    # The card

    async def card(self, scheme_id: int, number: str, *, surname_key: str) -> CardOnRecord | None:
        """The desk's :class:`skillcard.domain.check_judgement.AsyncCardReader`: the card,
        its holder and its holder's verified qualifications' titles in one statement, whether
        or not the surname will match (``surname_key`` is not needed to read them)."""
        rows = await self._pool.read(_CARD, {"scheme_id": scheme_id, "number": number})
        if not rows:
            return None
        *facts, card_type_id, occupation_id, titles = rows[0]
        unknown = card_type_id not in self._card_types or (
            occupation_id is not None and occupation_id not in self._occupations
        )
        if unknown and self._directory.may_reread_for_a_miss(time.monotonic()):
            await self._read_reference()  # one added since they were read
        type_title = self._card_types.get(card_type_id, "")
        found = card_on_record(facts, type_title, self._occupations.get(occupation_id))
        return found._replace(qualifications=tuple(titles))

    # ----------------------------------------------------------------------------------------
    # The check log

    def record(self, check: Check) -> asyncio.Future[None]:
        """Queue the check's line for the log: written within LOG_LINGER_SECONDS, with the
        lines queued meanwhile. The future says when it is stored (or why it was not)."""
        stored = asyncio.get_running_loop().create_future()
        self._lines.append((tuple(_plain(getattr(check, name)) for name in _LOGGED), stored))
        if not self._writing:
            self._writing = True
            self._pool.spawn(self._write())
        return stored

    async def _write(self) -> None:
        """Write the waiting lines together, again until none are left."""
        try:
            while self._lines:
                if len(self._lines) < LOG_BATCH:
                    await asyncio.sleep(LOG_LINGER_SECONDS)  # let the next checks' lines come
                lines, self._lines = self._lines, []
                await self._copy(lines)
        finally:
            self._writing = False

    async def _copy(self, lines: list[Line]) -> None:
        try:
            async with self._pool.connection() as connection:
                if len(lines) == 1:
                    await connection.execute(
                        _LOG_ONE, dict(zip(_LOGGED, lines[0][0], strict=True)), prepare=True
                    )
                else:
                    async with connection.cursor() as cursor, cursor.copy(_LOG_MANY) as copy:
                        for line, _ in lines:
                            await copy.write_row(line)
        except psycopg.IntegrityError as error:
            if len(lines) > 1:  # one bad line (its checker deleted meanwhile) fails alone
                for line in lines:
                    await self._copy([line])
                return
            _settle(lines, error=error)
        except Exception as error:
            _settle(lines, error=error)
        else:
            _settle(lines)


def _log_failure(reading: asyncio.Future) -> None:
    if not reading.cancelled() and reading.exception() is not None:
        log.error("could not read the schemes again: %s", reading.exception())


def _plain(value):
    # psycopg would write an enum member's name; the log holds its value, as the ORM writes it
    return value.value if isinstance(value, enum.Enum) else value


def _settle(lines: list[Line], *, error: BaseException | None = None) -> None:
    for _, stored in lines:
        if stored.done():  # its request was given up (the client went away)
            continue
        if error is not None:
            stored.set_exception(error)
        else:
            stored.set_result(None)
