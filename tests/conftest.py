"""Fixtures shared by every test: databases (SQLite and PostgreSQL) and factories.

Integration tests take ``database_url`` (or ``engine``/``uow_factory``) and run once per
database. PostgreSQL is not optional: CI starts it. Set SKILLCARD_TEST_DATABASES=sqlite to run
only SQLite on a machine without PostgreSQL (the run then says so in its header).
"""

from __future__ import annotations

import os

os.environ["SKILLCARD_ENVIRONMENT"] = "test"
import uuid

import pytest
import sqlalchemy as sa

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.passwords import Argon2Passwords
from skillcard.config import Settings
from skillcard.services.accounts import accounts
from tests import mycard_support
from tests.factories import build_registry

POSTGRES_ADMIN_URL = os.environ.get(
    "SKILLCARD_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@/postgres?host=/var/run/postgresql",
)
DATABASES = os.environ.get("SKILLCARD_TEST_DATABASES", "sqlite,postgresql").split(",")
# The services called directly hash at Argon2's cheapest profile, as the apps the tests make
# do (their settings say environment=test): hundreds of sign-ins.
accounts.use_default_passwords(Argon2Passwords(cheapest=True))


# The MyCard tests' registry with reference data, and their evidence store.
mycard = mycard_support.mycard
evidence_store = mycard_support.evidence_store


def pytest_report_header(config):
    return f"skillcard databases under test: {', '.join(DATABASES)}"


@pytest.fixture(scope="session")
def _postgres_admin():
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _fresh_postgres(admin) -> str:
    name = f"{os.environ.get('SKILLCARD_TEST_DB_PREFIX', 'skillcard_test')}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return admin.url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres(admin, url: str) -> None:
    name = sa.make_url(url).database
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """A fresh, empty, migrated database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'skillcard.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    admin = request.getfixturevalue("_postgres_admin")
    url = _fresh_postgres(admin)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_postgres(admin, url)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine):
    """Units of work that seal signing keys with the secret the tests' apps are given (their
    Settings(environment="test")), as an app and its CLI share one."""
    secret = Settings(environment="test").secret_key
    return lambda read_only=False: SqlAlchemyUnitOfWork(
        engine, read_only=read_only, secret_key=secret
    )


@pytest.fixture
def registry(uow_factory):
    """Two schemes with card types, a holder in each, and a user of every role."""
    return build_registry(uow_factory)
