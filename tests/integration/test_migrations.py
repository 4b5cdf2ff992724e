"""The migrations build exactly the schema of ``tables.py``, and 0002 (checks) can be undone."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from skillcard.adapters.db.migrate import alembic_config, current_revision, upgrade
from skillcard.adapters.db.tables import metadata


def differences(engine) -> list:
    with engine.execution_options(read_only=True).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_the_migrated_schema_matches_the_tables(engine):
    assert differences(engine) == []


def test_the_checks_migration_goes_down_and_up_again(engine):
    with engine.execution_options(read_only=True).connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        connection.commit()
    assert current_revision(engine) == "0001"
    upgrade(engine)
    assert current_revision(engine) != "0001"
    assert differences(engine) == []


def test_the_check_log_indexes_only_signed_in_checkers_by_checker(engine):
    name = "ix_checks_checker_user_id_checked_at"
    if engine.dialect.name == "postgresql":
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    else:
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    with engine.connect() as connection:
        definition = connection.scalar(sa.text(query), {"name": name})
    assert "WHERE" in definition.upper() and "IS NOT NULL" in definition.upper()


def test_the_check_log_keys_only_its_checker(engine):
    # A key to cards or schemes would lock the row it points at on every check (0012).
    keys = sa.inspect(engine).get_foreign_keys("checks")
    assert [(key["constrained_columns"], key["referred_table"]) for key in keys] == [
        (["checker_user_id"], "users")
    ]
