"""Fixtures shared by every test: databases (SQLite and PostgreSQL) and factories.

Integration tests take ``database_url`` (or ``engine``/``uow_factory``) and run once per
database. PostgreSQL is not optional: CI starts it. Set SKILLCARD_TEST_DATABASES=sqlite to run
only SQLite on a machine without PostgreSQL (the run then says so in its header).

Every such database is clean and migrated without migrating it again (tests/databases.py): a
test that needs one more takes ``postgres_database_url`` (PostgreSQL whatever the parameter)
or ``_sqlite_template.copy_to(path)`` (SQLite), and calls ``upgrade`` only to test migrations.
``make test`` runs under pytest-xdist: make names (ports, files, databases, Redis keys) unique
per test, as these fixtures do, never fixed.
"""

from __future__ import annotations

import os

os.environ["SKILLCARD_ENVIRONMENT"] = "test"
import uuid

import pytest
import sqlalchemy as sa

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.passwords import Argon2Passwords
from skillcard.config import Settings
from skillcard.services.accounts import accounts
from tests import mycard_support
from tests.databases import PostgresPool, SqliteTemplate
from tests.e2e import browser_support
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
# One Chromium per module for the browser tests' ``page`` (tests/e2e/browser_support.py); here
# so that a test outside tests/e2e that takes ``page`` finds it too.
_module_chromium = browser_support._module_chromium


def pytest_report_header(config):
    return f"skillcard databases under test: {', '.join(DATABASES)}"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """The replica tests share one throwaway primary and replica for the session: under
    pytest-xdist (``make test``) they all run on one process, so one pair is built."""
    for item in items:
        if item.get_closest_marker("replica"):
            item.add_marker(pytest.mark.xdist_group("replica"))


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


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """The SQLite schema migrated once for the session (see tests/databases.py)."""
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def _postgres_pool(_postgres_admin):
    """PostgreSQL databases migrated once for the session, reset between tests."""
    pool = PostgresPool(_postgres_admin)
    yield pool
    pool.close()


def migrated_sqlite_url(request, path) -> str:
    """A fresh migrated SQLite database at ``path``: a copy of the session's template."""
    return request.getfixturevalue("_sqlite_template").copy_to(path)


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """A fresh, empty, migrated database: a SQLite file, or a PostgreSQL database no other
    test has seen (copied from a migrated template, or reset to it: tests/databases.py)."""
    if request.param == "sqlite":
        yield migrated_sqlite_url(request, tmp_path / "skillcard.db")
        return
    pool = request.getfixturevalue("_postgres_pool")
    url = pool.acquire()
    yield url
    pool.release(url)


@pytest.fixture
def postgres_database_url(request):
    """A fresh migrated PostgreSQL database for a test that needs PostgreSQL whatever the
    ``database_url`` parameter (a queue test, say)."""
    pool = request.getfixturevalue("_postgres_pool")
    url = pool.acquire()
    yield url
    pool.release(url)


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
