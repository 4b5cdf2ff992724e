"""A few psycopg async connections for the code that runs on a server process's event loop
(the API's Smart Check: see ``check_desk.py`` and ``rate_counters.py``), and the tasks that
write for it in the background.

The rest of skillcard uses SQLAlchemy's engine from worker threads. This pool is small on
purpose: a Smart Check holds a connection for one statement, so a handful serve thousands
of checks a second, and each process has its own.

The connections are ``psycopg_pool``'s: it makes them at start, waits and retries while the
database is away, replaces a broken one in the background and renews old ones. On top of it,
what made the home-made pool fast: a statement asks for a connection from an
``asyncio.Queue`` of connections borrowed from that pool (about 3 µs, where the pool's own
``connection()`` took 23 µs alone and 66 µs with eight tasks asking: bench/README.md), each
given back to the pool after ``BORROW_SECONDS`` or as soon as it breaks, so the pool still
sees and renews every connection; a read reuses its connection's cursor; and its statements
are prepared.

The connections commit asynchronously (``synchronous_commit=off``): what they write (check
log lines, rate counters) is visible to every process at once and can never be corrupted,
but a crash of the database server itself may lose the last fraction of a second of it.
Waiting for each such commit to reach the disk cost more than the rest of the check (bench/).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Coroutine

import psycopg
import sqlalchemy as sa
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects import postgresql

log = logging.getLogger(__name__)

CONNECTIONS = 6  # per server process: bench/reference_check_app.py uses 4
BORROW_SECONDS = 30.0  # a connection goes back to psycopg_pool this often, to be checked
OPEN_WITHIN_SECONDS = 10.0


def compiled(statement: sa.ClauseElement) -> str:
    """A Core statement as psycopg's SQL, with ``%(name)s`` parameters: built from
    ``tables.py`` once, so that the names of tables and columns stay in one place."""
    return str(statement.compile(dialect=postgresql.psycopg.dialect()))


class AsyncPool:
    """Connections borrowed from a ``psycopg_pool.AsyncConnectionPool`` of autocommit
    connections and handed round by a queue, a cursor kept per connection, and the background
    writes it waits for on closing."""

    def __init__(self, conninfo: str, *, connections: int = CONNECTIONS) -> None:
        self._pool = AsyncConnectionPool(
            conninfo,
            min_size=connections,
            max_size=connections,
            kwargs={"autocommit": True, "options": "-c synchronous_commit=off"},
            open=False,
            name="skillcard-async",
        )
        # A slot holds a borrowed connection and when it was borrowed, or None: borrow anew.
        self._slots: asyncio.Queue[tuple[psycopg.AsyncConnection, float] | None]
        self._slots = asyncio.Queue()
        for _ in range(connections):
            self._slots.put_nowait(None)
        # A read reuses its connection's cursor: making one per statement was a sixth of a
        # read's CPU (bench/README.md, sixth round). Weak keys: a connection the pool drops
        # takes its cursor with it.
        self._cursors: weakref.WeakKeyDictionary[psycopg.AsyncConnection, psycopg.AsyncCursor]
        self._cursors = weakref.WeakKeyDictionary()
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    def for_url(cls, url: sa.URL, **kwargs) -> AsyncPool:
        """A pool on the same database as an SQLAlchemy engine's URL."""
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return cls(conninfo, **kwargs)

    async def open(self) -> None:
        """Connect every connection, so that a wrong address fails at start-up, not on a
        check (``psycopg_pool.PoolTimeout``)."""
        await self._pool.open(wait=True, timeout=OPEN_WITHIN_SECONDS)

    async def close(self) -> None:
        """Let the background writes finish, then close every connection."""
        while self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._tasks)
        await self._give_back_idle()
        await self._pool.close()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        slot = await self._slots.get()
        try:
            if slot is None or time.monotonic() - slot[1] > BORROW_SECONDS:
                if slot is not None:
                    await self._pool.putconn(slot[0])  # to be checked, renewed if old
                slot = None
                slot = (await self._pool.getconn(), time.monotonic())
            yield slot[0]
        finally:
            if slot is not None and slot[0].broken:
                await self._pool.putconn(slot[0])  # the pool drops it and makes another
                slot = None
            self._slots.put_nowait(slot)

    async def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        """A read's rows. On a lost connection (PostgreSQL restarted, say) the idle
        connections, likely lost too, are given back to be checked, and the read made once
        more."""
        for attempt in range(2):
            try:
                async with self.connection() as connection:
                    cursor = self._cursors.get(connection)
                    if cursor is None:
                        cursor = self._cursors[connection] = connection.cursor()
                    await cursor.execute(sql, params, prepare=True)
                    return await cursor.fetchall()
            except psycopg.OperationalError:
                if attempt:
                    raise
                log.warning("a database connection was lost: connecting again")
                await self.reconnect()
        raise AssertionError("unreachable")

    async def reconnect(self) -> None:
        """After a lost connection: give back the idle ones, likely lost too, to be checked
        (and replaced) by the pool."""
        await self._give_back_idle()
        await self._pool.check()

    async def _give_back_idle(self) -> None:
        for _ in range(self._slots.qsize()):
            slot = self._slots.get_nowait()
            if slot is not None:
                await self._pool.putconn(slot[0])
            self._slots.put_nowait(None)

    def spawn(self, work: Coroutine) -> asyncio.Task:
        """Run ``work`` in the background; :meth:`close` waits for it."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
