"""Engines for SQLite (embedded default) and PostgreSQL, tuned for many processes sharing one."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from skillcard.adapters.db.mapping import start_mappers
from skillcard.errors import InvalidInput, NotFound


def make_engine(url: str, **kwargs) -> Engine:
    # Domain objects made before mapping cannot be stored: map before anything is made.
    start_mappers()
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
    else:
        kwargs.setdefault("pool_size", 10)
        engine = sa.create_engine(url, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_after_idle(engine)
    _refuse_what_storage_cannot_hold(engine)
    return engine


# PostgreSQL's "numeric value out of range": an INTEGER column is 32-bit, BIGINT 64-bit.
_OUT_OF_RANGE = "22003"


def _refuse_what_storage_cannot_hold(engine: Engine) -> None:
    """Values from outside that the database cannot even compare become the project's errors.

    An id is a number from outside (a path, a query, a body) and the two databases hold
    different ranges: SQLite refuses any integer past 64 bits before the statement runs,
    PostgreSQL one past its column's 32 or 64 bits when it is written. No record can have such
    an id, so either way the answer is the one for an id that is not there: ``NotFound``, in
    this one place rather than at each of the many doors an id comes in by. PostgreSQL also
    refuses a NUL character in text (SQLite stores it): the web refuses NUL on the way in
    (``web/hostile_input.py``); this is the backstop for every other door."""

    @event.listens_for(engine, "handle_error")
    def _translate(context):
        error = context.original_exception
        if isinstance(error, OverflowError) or getattr(error, "sqlstate", None) == _OUT_OF_RANGE:
            raise NotFound("there is no record with that number") from error
        if "NUL (0x00)" in str(error):
            raise InvalidInput("a NUL character (\\0) is not allowed in text") from error


PING_AFTER_IDLE_SECONDS = 5.0


def _ping_after_idle(engine: Engine) -> None:
    """Test a pooled connection before use only if it sat idle for a few seconds.

    ``pool_pre_ping`` pings on every check-out: a round trip per unit of work, which on a
    Smart Check was a fifth of the statements. A connection that was used a moment ago is
    trusted instead. Trade-off: after PostgreSQL restarts, the connections idle since then are
    still tested and replaced (as with pre-ping), but one used within the last few seconds may
    fail its next request once; SQLAlchemy then sees the disconnect and drops the whole pool,
    so the requests after it get fresh connections."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out another (SQLAlchemy's own
            # pattern for pessimistic disconnect handling).
            raise exc.DisconnectionError() from error


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, say when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        # Keys are stored lower-case; a case-sensitive LIKE can use their index for prefixes.
        cursor.execute("PRAGMA case_sensitive_like = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock up front: several server processes then queue on
        # busy_timeout instead of failing when a reader later tries to write. Read-only
        # units of work keep WAL's lock-free reads.
        if connection.get_execution_options().get("read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
