"""Migrated test databases made fast: migrating takes a second or two per database, and the
suite asks for one per test, on each database, hundreds of times.

SQLite: the schema is migrated once per session (per xdist worker) into a template file, and
each test gets a byte copy of it (the template is closed first, so its WAL is folded in).

PostgreSQL: a template database is migrated once per session, and databases are copied from it
(``CREATE DATABASE ... TEMPLATE``). After a test its database is reset rather than dropped
(dropping forces a checkpoint of the whole cluster, the slowest step of all): every backend on
it is ended, every table the test wrote is truncated, the rows the migrations seed are put back,
every sequence is set back to where the migrations left it, and the database is renamed, so the
next test gets the same clean state under a name no earlier test knew (a connection a test left
behind cannot reach it). A test that changed the schema itself (a migration test, say) leaves a
database whose catalogue no longer matches the template's: that one is dropped instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade


def worker_tag() -> str:
    """``gw0``, ``gw1``... under pytest-xdist, ``main`` otherwise: part of every name made."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


class SqliteTemplate:
    """One migrated SQLite file, copied for each test that asks."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        migrate(f"sqlite:///{self.path}")
        for leftover in ("-wal", "-shm"):  # closed cleanly, SQLite folds these in and deletes
            Path(f"{self.path}{leftover}").unlink(missing_ok=True)

    def copy_to(self, path: Path) -> str:
        shutil.copyfile(self.path, path)
        return f"sqlite:///{path}"


# What a test could change in a database besides its rows and sequences: compared after each
# test with the template's, and a database that differs is dropped rather than reused.
_CATALOGUE = """
SELECT md5(string_agg(entry, E'\\n' ORDER BY entry)) FROM (
  SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' '
         || coalesce(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
                     || a.attnotnull::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
                     '') AS entry
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
     AND left(n.nspname, 8) <> 'pg_temp_' AND left(n.nspname, 14) <> 'pg_toast_temp_'
  UNION ALL
  SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'idx ' || indexrelid::regclass::text || ' ' || pg_get_indexdef(indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
   WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'trg ' || tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text
    FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL
  SELECT 'enum ' || enumtypid::regtype::text || ' ' || enumlabel FROM pg_enum
  UNION ALL
  SELECT 'ns ' || nspname FROM pg_namespace
   WHERE left(nspname, 8) <> 'pg_temp_' AND left(nspname, 14) <> 'pg_toast_temp_'
  UNION ALL
  SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension
  UNION ALL
  SELECT 'lo ' || count(*) FROM pg_largeobject_metadata
  UNION ALL
  SELECT 'set ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
   WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) AS catalogue
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresPool:
    """Migrated PostgreSQL databases handed out one per test and reset for the next."""

    def __init__(self, admin: sa.Engine) -> None:
        self.admin = admin
        self.prefix = f"skillcard_test_{worker_tag()}_{uuid.uuid4().hex[:8]}"
        self._count = 0
        self._free: list[str] = []
        self.template = self._name()
        self._create(f"CREATE DATABASE {_quote(self.template)}")
        try:
            migrate(self.url(self.template))
            self._learn_the_template()
        except BaseException:  # no template left behind by a session that never started
            self.drop(self.template)
            raise

    def _name(self) -> str:
        self._count += 1
        return f"{self.prefix}_{self._count}"

    def url(self, name: str) -> str:
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str, params: dict | None = None) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql, params)

    def _connect(self, name: str) -> sa.Engine:
        return sa.create_engine(self.url(name), poolclass=NullPool)

    def _learn_the_template(self) -> None:
        """What a clean database holds: its tables, the rows the migrations seeded, where each
        sequence stands, and its catalogue's fingerprint."""
        engine = self._connect(self.template)
        try:
            with engine.connect() as connection:
                self.tables = [
                    row[0]
                    for row in connection.exec_driver_sql(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                    )
                ]
                self.seeds: dict[str, tuple[list[str], list[tuple]]] = {}
                for table in self._written(connection):
                    columns = [
                        row[0]
                        for row in connection.exec_driver_sql(
                            "SELECT attname FROM pg_attribute WHERE attrelid = %(t)s::regclass"
                            " AND attnum > 0 AND NOT attisdropped AND attgenerated = ''"
                            " ORDER BY attnum",
                            {"t": _quote(table)},
                        )
                    ]
                    listed = ", ".join(_quote(c) for c in columns)
                    rows = connection.exec_driver_sql(f"SELECT {listed} FROM {_quote(table)}").all()
                    self.seeds[table] = (columns, [tuple(row) for row in rows])
                self.sequences = connection.exec_driver_sql(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename),"
                    " coalesce(last_value, start_value), last_value IS NOT NULL"
                    " FROM pg_sequences WHERE schemaname = 'public'"
                ).all()
                self.catalogue = connection.exec_driver_sql(_CATALOGUE).scalar()
        finally:
            engine.dispose()

    def _written(self, connection) -> list[str]:
        """The tables that hold a row now."""
        probes = " UNION ALL ".join(
            f"SELECT {i} WHERE EXISTS (SELECT FROM {_quote(t)})" for i, t in enumerate(self.tables)
        )
        return [self.tables[row[0]] for row in connection.exec_driver_sql(probes)]

    def acquire(self) -> str:
        """A clean migrated database's URL, under a name no test has seen."""
        if self._free:
            return self.url(self._free.pop())
        name = self._name()
        self._create(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(self.template)}")
        return self.url(name)

    def _create(self, sql: str) -> None:
        """Create a database whose commits do not wait for the disk: a test database is thrown
        away if the server stops, and a test commits hundreds of times (durability is not what
        any test here asserts; the replica tests run their own cluster)."""
        name = sql.split('"')[1]
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)
            connection.exec_driver_sql(
                f"ALTER DATABASE {_quote(name)} SET synchronous_commit = off"
            )

    def release(self, url: str) -> None:
        """Reset the database a test used, for the next test; drop it if that cannot be done."""
        name = sa.make_url(url).database
        assert name is not None
        try:
            self._end_backends(name)
            engine = self._connect(name)
            try:
                with engine.begin() as connection:
                    self._reset(connection)
            finally:
                engine.dispose()
            fresh = self._name()
            self._rename(name, fresh)
            self._free.append(fresh)
        except _Unusable:
            self.drop(name)

    def _reset(self, connection) -> None:
        if connection.exec_driver_sql(_CATALOGUE).scalar() != self.catalogue:
            raise _Unusable
        # Nothing here needs to survive a crash of the server, and with the triggers off (keys
        # included) the tables empty in any order. DELETE, not TRUNCATE: a test writes a few
        # rows, and TRUNCATE makes new files for every table and index it names.
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in self._written(connection):
            connection.exec_driver_sql(f"DELETE FROM {_quote(table)}")
        for table, (columns, rows) in self.seeds.items():
            marks = ", ".join(["%s"] * len(columns))
            connection.exec_driver_sql(
                f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, columns))})"
                f" OVERRIDING SYSTEM VALUE VALUES ({marks})",
                rows,
            )
        if self.sequences:
            calls = ", ".join(
                f"setval('{sequence}', {value}, {called})"
                for sequence, value, called in self.sequences
            )
            connection.exec_driver_sql(f"SELECT {calls}")

    def _end_backends(self, name: str) -> None:
        self._execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %(name)s AND pid <> pg_backend_pid()",
            {"name": name},
        )

    def _rename(self, name: str, fresh: str) -> None:
        for attempt in range(50):  # an ended backend takes a moment to go
            try:
                self._execute(f"ALTER DATABASE {_quote(name)} RENAME TO {_quote(fresh)}")
                return
            except sa.exc.OperationalError:
                if attempt == 49:
                    raise _Unusable from None
                self._end_backends(name)
                time.sleep(0.02)

    def drop(self, name: str) -> None:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            self._execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")

    def close(self) -> None:
        for name in [*self._free, self.template]:
            self.drop(name)
        self._free.clear()


class _Unusable(Exception):
    """The database cannot be brought back to the template's state."""
