"""The async pool's own cost: reads through ``adapters/db/async_pool.AsyncPool`` on one event
loop, as the Smart Check makes them (a prepared one-row statement, many tasks at once).

    .venv/bin/python bench/async_pool.py [--url postgresql://...] [--reads 20000] [--tasks 32]

Prints reads a second and the p50/p99 of one read (from asking for a connection to the row),
the same through psycopg_pool's own ``connection()`` (what AsyncPool borrows from), and through
bare psycopg connections handed round by an asyncio.Queue: the floor any pool can reach.
Talks to the local PostgreSQL only; bounded by --reads.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import psycopg
import sqlalchemy as sa

from skillcard.adapters.db.async_pool import AsyncPool

SQL = "SELECT %(n)s::int + 1"
DEFAULT_URL = "postgresql+psycopg://postgres@/postgres?host=/var/run/postgresql"


async def _drive(read, reads: int, tasks: int) -> tuple[float, list[float]]:
    took: list[float] = []
    left = iter(range(reads))

    async def one_task() -> None:
        for n in left:
            started = time.perf_counter()
            rows = await read(n)
            took.append(time.perf_counter() - started)
            assert rows[0][0] == n + 1

    started = time.perf_counter()
    await asyncio.gather(*(one_task() for _ in range(tasks)))
    return time.perf_counter() - started, took


async def through_pool(url: sa.URL, reads: int, tasks: int) -> tuple[float, list[float]]:
    pool = AsyncPool.for_url(url)
    await pool.open()
    try:
        return await _drive(lambda n: pool.read(SQL, {"n": n}), reads, tasks)
    finally:
        await pool.close()


async def through_psycopg_pool(url: sa.URL, reads: int, tasks: int, size: int = 6):
    """psycopg_pool's own ``connection()`` for every read, cursor made each time."""
    from psycopg_pool import AsyncConnectionPool

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    pool = AsyncConnectionPool(
        conninfo, min_size=size, max_size=size, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True)

    async def read(n: int):
        async with pool.connection() as connection:
            cursor = await connection.execute(SQL, {"n": n}, prepare=True)
            return await cursor.fetchall()

    try:
        return await _drive(read, reads, tasks)
    finally:
        await pool.close()


async def through_queue(url: sa.URL, reads: int, tasks: int, size: int = 6):
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    idle: asyncio.Queue = asyncio.Queue()
    made = []
    for _ in range(size):
        connection = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
        made.append(connection)
        idle.put_nowait((connection, connection.cursor()))

    async def read(n: int):
        connection, cursor = await idle.get()
        try:
            await cursor.execute(SQL, {"n": n}, prepare=True)
            return await cursor.fetchall()
        finally:
            idle.put_nowait((connection, cursor))

    try:
        return await _drive(read, reads, tasks)
    finally:
        for connection in made:
            await connection.close()


def _report(name: str, seconds: float, took: list[float]) -> None:
    took.sort()
    p99 = took[int(len(took) * 0.99) - 1]
    print(
        f"{name:<28} {len(took) / seconds:>9,.0f} reads/s   "
        f"p50 {statistics.median(took) * 1e3:6.2f} ms   p99 {p99 * 1e3:6.2f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = sa.make_url(args.url)
    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}: {args.reads:,} reads, {args.tasks} tasks", flush=True)
        _report("AsyncPool (skillcard)", *asyncio.run(through_pool(url, args.reads, args.tasks)))
        _report(
            "psycopg_pool.connection()",
            *asyncio.run(through_psycopg_pool(url, args.reads, args.tasks)),
        )
        _report(
            "asyncio.Queue of 6 (floor)", *asyncio.run(through_queue(url, args.reads, args.tasks))
        )


if __name__ == "__main__":
    main()
