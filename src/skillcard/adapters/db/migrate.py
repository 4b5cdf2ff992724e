"""Creating and upgrading the schema with Alembic, from code (no alembic.ini to find)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def ours(name, type_, _parent_names) -> bool:
    """Whether a database object is this schema's: Procrastinate's tables and indexes (applied
    by migration 0020, described by its own SQL) are left out of comparisons with tables.py."""
    return not (name or "").startswith(("procrastinate", "idx_procrastinate"))


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step, revision: str) -> None:
    # Alembic runs its own transaction; the "begin" hook must not open one first on SQLite.
    with engine.execution_options(read_only=True).connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        with _keys_checked_at_the_end(connection):
            step(config, revision)
            connection.commit()


@contextlib.contextmanager
def _keys_checked_at_the_end(connection: Connection):
    """SQLite changes a table by copying it (Alembic's batch mode), and dropping a table that
    other tables' keys point at fails while keys are enforced. SQLite's own procedure: turn
    enforcement off outside the transaction, check every key before committing (the
    migrations' env.py does), turn it on again. PostgreSQL needs none of this."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None  # an open connection has its driver's
    raw.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: none is open yet
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def current_revision(engine: Engine) -> str | None:
    with engine.execution_options(read_only=True).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revision(revision: str) -> bool:
    """Whether this code's migrations include ``revision`` (an older database, not a newer)."""
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False
