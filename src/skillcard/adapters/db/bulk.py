"""Writing millions of rows fast, inside the caller's transaction.

PostgreSQL gets ``COPY ... FROM STDIN`` through psycopg 3, the fastest way in; SQLite gets
``executemany`` on the driver's cursor, which skips SQLAlchemy's per-row work. Rows are plain
tuples in the order of the columns named, with dates as ISO strings (what both databases read
from text, and how SQLAlchemy stores dates in SQLite).

Ids are given by the caller, so that cards can name their holders without a round trip: take
:meth:`BulkWriter.lock_for_append` before reading :meth:`BulkWriter.max_id`, and call
:meth:`BulkWriter.fix_id_sequence` once the rows are in. :class:`MadeAhead` makes the next
batch of rows while the database takes in the last.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from skillcard.adapters.db.dialect import is_postgresql

# Only these tables are ever bulk-written; their names go into SQL text, so they are checked.
_TABLES = frozenset({"cardholders", "cards", "status_entries", "card_import_rows"})


def bulk_writer(connection: sa.Connection) -> BulkWriter:
    """The writer for ``connection``'s database, sharing its transaction."""
    if is_postgresql(connection):
        return _PostgresWriter(connection)
    if connection.dialect.name == "sqlite":
        return _SqliteWriter(connection)
    raise NotImplementedError(f"bulk writes are not supported on {connection.dialect.name}")


class BulkWriter:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        # The driver's own connection: same session, same transaction as ``connection``.
        self.raw: Any = connection.connection.driver_connection

    def lock_for_append(self, *tables: str) -> None:
        """Keep other writers out of ``tables`` until commit, so that ids read now stay free."""

    def max_id(self, table: str) -> int:
        _check(table)
        found = self.connection.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return int(found.scalar_one())

    def append(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        raise NotImplementedError

    def fix_id_sequence(self, table: str) -> None:
        """Make the database's next generated id follow the ids written here."""


class _PostgresWriter(BulkWriter):
    def lock_for_append(self, *tables: str) -> None:
        for table in tables:
            _check(table)
        # EXCLUSIVE still lets readers in; it stops other writers, whose inserts would take ids
        # from a sequence not yet moved past the ones assigned here.
        self.connection.exec_driver_sql(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")

    def append(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        _check(table)
        statement = f"COPY {table} ({', '.join(_check_column(c) for c in columns)}) FROM STDIN"
        with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def fix_id_sequence(self, table: str) -> None:
        _check(table)
        # ``sa.Integer, primary_key=True`` is a SERIAL on PostgreSQL: its sequence does not see
        # ids written by hand. is_called=false makes nextval() return exactly MAX(id) + 1.
        self.connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE(MAX(id), 0) + 1, false) FROM {table}"
        )


class _SqliteWriter(BulkWriter):
    # SQLite writers are already serialised by BEGIN IMMEDIATE (see engine.py), and an
    # INTEGER PRIMARY KEY takes MAX(rowid) + 1 by itself, so no lock or sequence to fix.

    def append(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        _check(table)
        names = ", ".join(_check_column(c) for c in columns)
        marks = ", ".join("?" * len(columns))
        cursor = self.raw.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()


class MadeAhead:
    """Iterates ``batches``, making each in a worker thread while the caller writes the last.

    PostgreSQL takes longer over a batch than Python takes to make one, and psycopg waits for
    the server without holding the GIL: making the next batch meanwhile comes almost free.
    The worker's error, if any, is raised in the caller; leaving the block stops the worker.
    """

    _DONE = object()

    def __init__(self, batches: Iterator) -> None:
        self._handoff: queue.Queue = queue.Queue(maxsize=1)  # one batch ahead: memory stays flat
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._make, args=(batches,), name="seed-rows")

    def __enter__(self) -> Iterator:
        self._worker.start()
        return self._take()

    def __exit__(self, *exc) -> None:
        self._stop.set()  # the writer failed or finished: the worker gives up its next offer
        self._worker.join()

    def _take(self) -> Iterator:
        while True:
            batch, error = self._handoff.get()
            if error is not None:
                raise error
            if batch is self._DONE:
                return
            yield batch

    def _make(self, batches: Iterator) -> None:
        try:
            for batch in batches:
                if not self._offer((batch, None)):
                    return
            self._offer((self._DONE, None))
        except BaseException as error:
            self._offer((self._DONE, error))

    def _offer(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def _check(table: str) -> str:
    if table not in _TABLES:
        raise ValueError(f"bulk writes are not allowed into {table!r}")
    return table


def _check_column(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"{name!r} is not a column name")
    return name
