"""Check log lines kept on this host while the primary database is down, written to it when
it is back (issue 16: public checks go on from the replica).

The API's check answers from the replica and queues its log line for the primary
(``check_desk.py``). If that write fails because the primary cannot be reached,
:class:`SpoolingDesk` keeps the line in a small SQLite file beside the server
(``SKILLCARD_CHECK_SPOOL``), and :func:`drain` (every few seconds, from the serving process)
copies the kept lines into the primary's ``checks`` table, then deletes them from the file.

The bound: at most :data:`MAX_SPOOLED` lines are kept (about 200 MB); past that a check's line
is dropped and counted in the log, and the check is still answered. Lines are written at
least once: a process killed between the primary's commit and the spool's delete writes that
one batch (at most :data:`DRAIN_BATCH` lines) twice. A line that cannot be stored at all (a
checker account deleted meanwhile) is logged and dropped, as the primary's own writer does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import json
import logging
import sqlite3
import threading
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from skillcard.adapters.db import tables
from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.domain.checks import Check
from skillcard.services.checks.rate_limits import aligned_retry_after

log = logging.getLogger(__name__)
MAX_SPOOLED = 1_000_000
DRAIN_BATCH = 1_000
DRAIN_EVERY_SECONDS = 2.0
_COLUMNS = tuple(c.name for c in tables.checks.columns if c.name != "id")
_MOMENTS = {c.name for c in tables.checks.columns if isinstance(c.type, AwareDateTime)}


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


class CheckSpool:
    """Lines in an SQLite file: one row each, the check's columns as JSON."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.dropped = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY, line TEXT)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        return db

    def put(self, check: Check) -> bool:
        """Keep one check's line; False if the spool is full (the line is dropped)."""
        line = json.dumps({name: _plain(getattr(check, name, None)) for name in _COLUMNS})
        with self._lock, self._connect() as db:
            if self.pending(db) >= MAX_SPOOLED:
                self.dropped += 1
                log.error("the check spool is full: %s check log lines dropped", self.dropped)
                return False
            db.execute("INSERT INTO spool (line) VALUES (?)", (line,))
        return True

    def pending(self, db: sqlite3.Connection | None = None) -> int:
        if db is None:
            with self._connect() as own:
                return self.pending(own)
        return db.execute("SELECT count(*) FROM spool").fetchone()[0]

    def drain(self, primary: Engine) -> int:
        """Write the kept lines to the primary, a batch at a time; how many were written.
        Raises (and keeps them) if the primary is still down."""
        written = 0
        with self._lock:
            db = self._connect()
            try:
                while rows := db.execute(
                    "SELECT id, line FROM spool ORDER BY id LIMIT ?", (DRAIN_BATCH,)
                ).fetchall():
                    _store(primary, [_row(json.loads(line)) for _, line in rows])
                    db.execute("DELETE FROM spool WHERE id <= ?", (rows[-1][0],))
                    written += len(rows)
            finally:
                db.close()
        return written


def _row(values: dict) -> dict:
    for name in _MOMENTS:
        if values.get(name):
            values[name] = dt.datetime.fromisoformat(values[name])
    values["warnings"] = values.get("warnings") or ""
    return values


def _store(primary: Engine, rows: list[dict]) -> None:
    try:
        with primary.begin() as connection:
            connection.execute(sa.insert(tables.checks), rows)
    except sa.exc.IntegrityError:
        if len(rows) == 1:
            log.error("a spooled check log line could not be stored: dropped (%s)", rows[0])
            return
        for row in rows:  # one bad line fails alone
            _store(primary, [row])


class SpoolingDesk:
    """A check desk whose log lines go to the spool when the primary cannot take them; the
    rest is the desk it wraps."""

    def __init__(self, desk, spool: CheckSpool) -> None:
        self._desk, self.spool = desk, spool

    def __getattr__(self, name: str):
        return getattr(self._desk, name)

    def record(self, check: Check) -> asyncio.Future[None]:
        return asyncio.ensure_future(self._record(check))

    async def _record(self, check: Check) -> None:
        try:
            await self._desk.record(check)
        except (psycopg.OperationalError, OSError):
            await asyncio.to_thread(self.spool.put, check)


async def keep_draining(spool: CheckSpool, primary: Engine, stopping: asyncio.Event) -> None:
    """Every few seconds while the server runs: the spooled lines to the primary, if any."""
    while not stopping.is_set():
        try:
            if await asyncio.to_thread(spool.pending):
                written = await asyncio.to_thread(spool.drain, primary)
                log.info("the primary is back: %s spooled check log lines written", written)
        except Exception as error:  # still down: the next round tries again
            log.debug("the spooled check log lines wait: %s", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), DRAIN_EVERY_SECONDS)


class FailOpenLimiter:
    """The check's rate limiter when its counters are on a primary that is down: a public
    check is answered (and the fact logged) rather than refused for want of a count."""

    def __init__(self, limiter) -> None:
        self._limiter = limiter

    def __getattr__(self, name: str):
        return getattr(self._limiter, name)

    async def allow(self, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
        try:
            return await self._limiter.allow(key, limit, window_seconds, now)
        except (psycopg.OperationalError, OSError):
            log.warning("rate counters unreachable (primary down): check allowed uncounted")
            return True

    async def retry_after(self, key: str, window_seconds: int, now: dt.datetime) -> int:
        try:
            return await self._limiter.retry_after(key, window_seconds, now)
        except (psycopg.OperationalError, OSError):  # refused a moment ago, down since
            return aligned_retry_after(window_seconds, now)

    def guarded(self):
        """A guarded door never fails open: the counters' own refusing twin."""
        return self._limiter.guarded()
