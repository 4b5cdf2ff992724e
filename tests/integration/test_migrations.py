"""The migrations build exactly the schema of ``tables.py``, and 0002 (checks) can be undone."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from skillcard.adapters.db import tables, tables_business
from skillcard.adapters.db.migrate import current_revision, downgrade, ours, upgrade
from skillcard.adapters.db.tables import metadata


def differences(engine) -> list:
    with engine.execution_options(read_only=True).connect() as connection:
        opts = {"compare_type": True, "include_name": ours}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, metadata)


def test_the_migrated_schema_matches_the_tables(engine):
    assert differences(engine) == []


def test_the_checks_migration_goes_down_and_up_again(engine):
    downgrade(engine, "0001")
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


def _user(connection, email: str, business_id: int | None) -> int:
    return connection.execute(
        sa.insert(tables.users).returning(tables.users.c.id),
        {"email": email, "display_name": "Bo", "role": "business_admin",
         "password_hash": "x", "business_id": business_id, "active": True},
    ).scalar_one()  # fmt: skip


def test_a_users_business_becomes_a_key_and_every_row_survives_the_copy(engine):
    downgrade(engine, "0012")
    now = dt.datetime(2026, 12, 6, 9, tzinfo=dt.UTC)
    with engine.begin() as connection:
        business = connection.execute(
            sa.insert(tables_business.businesses).returning(tables_business.businesses.c.id),
            {"name": "Acme", "company_number": "01234567", "address": "Leeds",
             "created_at": now, "confirmed": True},
        ).scalar_one()  # fmt: skip
        user = _user(connection, "bo@acme.test", business)
        connection.execute(  # a row whose key points at the users table being copied
            sa.insert(tables.web_sessions),
            {"token_hash": "t" * 64, "user_id": user, "csrf_token": "c", "created_at": now,
             "expires_at": now + dt.timedelta(hours=1)},
        )  # fmt: skip
    upgrade(engine)
    keys = sa.inspect(engine).get_foreign_keys("users")
    assert (["business_id"], "businesses") in [
        (key["constrained_columns"], key["referred_table"]) for key in keys
    ]
    with engine.connect() as connection:
        assert connection.scalar(sa.select(tables.users.c.business_id)) == business
        assert connection.scalar(sa.select(tables.web_sessions.c.user_id)) == user
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        _user(connection, "ghost@acme.test", 999)  # keys are enforced again afterwards


def test_a_user_of_a_missing_business_stops_the_migration_and_changes_nothing(engine):
    downgrade(engine, "0012")
    with engine.begin() as connection:
        _user(connection, "lost@nowhere.test", 999)
    with pytest.raises(RuntimeError, match="do not exist"):
        upgrade(engine)
    assert current_revision(engine) == "0012"
    with engine.connect() as connection:
        assert connection.scalar(sa.select(tables.users.c.business_id)) == 999
