"""A few psycopg async connections for the code that runs on a server process's event loop
(the API's Smart Check: see ``check_desk.py`` and ``rate_counters.py``), and the tasks that
write for it in the background.

The rest of skillcard uses SQLAlchemy's engine from worker threads. This pool is small on
purpose: a Smart Check holds a connection for one statement, so a handful serve thousands
of checks a second, and each process has its own.

The connections commit asynchronously (``synchronous_commit=off``): what they write (check
log lines, rate counters) is visible to every process at once and can never be corrupted,
but a crash of the database server itself may lose the last fraction of a second of it.
Waiting for each such commit to reach the disk cost more than the rest of the check (bench/).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

log = logging.getLogger(__name__)

CONNECTIONS = 6  # per server process: bench/reference_check_app.py uses 4


def compiled(statement: sa.ClauseElement) -> str:
    """A Core statement as psycopg's SQL, with ``%(name)s`` parameters: built from
    ``tables.py`` once, so that the names of tables and columns stay in one place."""
    return str(statement.compile(dialect=postgresql.psycopg.dialect()))


class AsyncPool:
    """Connections made on first use; a lost one is replaced on its next use."""

    def __init__(self, conninfo: str, *, connections: int = CONNECTIONS) -> None:
        self._conninfo = conninfo
        self._idle: asyncio.Queue[psycopg.AsyncConnection | None] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)
        # A read reuses its connection's cursor: making one per statement was a sixth of a
        # read's CPU (bench/README.md, sixth round).
        self._cursors: dict[psycopg.AsyncConnection, psycopg.AsyncCursor] = {}
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    def for_url(cls, url: sa.URL, **kwargs) -> AsyncPool:
        """A pool on the same database as an SQLAlchemy engine's URL."""
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return cls(conninfo, **kwargs)

    async def open(self) -> None:
        """Connect once, so that a wrong address fails at start-up, not on a check."""
        async with self.connection() as connection:
            await connection.execute("SELECT 1")

    async def close(self) -> None:
        """Let the background writes finish, then close every connection."""
        while self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._tasks)
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            if connection is not None:
                await connection.close()
        self._cursors.clear()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        connection = await self._idle.get()
        try:
            if connection is None or connection.closed:
                self._cursors.pop(connection, None)
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, options="-c synchronous_commit=off"
                )
            yield connection
        finally:
            if connection is not None and connection.broken:
                self._cursors.pop(connection, None)
                await connection.close()
                connection = None
            self._idle.put_nowait(connection)

    async def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        """A read's rows. On a lost connection (PostgreSQL restarted, say) the idle
        connections, likely lost too, are dropped and the read made once more."""
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
                await self._drop_idle()
        raise AssertionError("unreachable")

    async def _drop_idle(self) -> None:
        for _ in range(self._idle.qsize()):
            connection = self._idle.get_nowait()
            if connection is not None:
                self._cursors.pop(connection, None)
                await connection.close()
            self._idle.put_nowait(None)

    def spawn(self, work: Coroutine) -> asyncio.Task:
        """Run ``work`` in the background; :meth:`close` waits for it."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
