"""HTTP fixtures: the real app over a real database, driven by httpx's TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from skillcard.cli import common as cli_common
from skillcard.cli import run
from skillcard.config import Settings, get_settings
from skillcard.services.accounts import accounts
from skillcard.web import create_app
from tests.e2e import browser_support
from tests.factories import OPERATOR, PASSWORD

# The browser tests' live server and phone-sized page (see browser_support.py).
live_server = browser_support.live_server
page = browser_support.page


@pytest.fixture
def files_dir(tmp_path):
    return tmp_path / "files"


@pytest.fixture
def app(engine, database_url, files_dir):
    # Jobs (bulk checks) run in the app's process on PostgreSQL too: no worker to start. No
    # periodic audit checkpoint: Procrastinate defers a periodic job missed in the last ten
    # minutes when its worker starts, so an app started just after the hour signed the chain's
    # head while a test was making its own checkpoints (a clash on the checkpoint's seq).
    settings = Settings(
        environment="test",
        database_url=database_url,
        files_dir=files_dir,
        jobs_in_process=True,
        audit_checkpoint_minutes=0,
    )
    return create_app(settings, engine=engine)


@pytest.fixture
def cli(database_url, files_dir, monkeypatch, capsys):
    """The CLI in-process against the test database: ``cli(*args) -> (code, out, err)``."""
    monkeypatch.setenv("SKILLCARD_DATABASE_URL", database_url)
    monkeypatch.setenv("SKILLCARD_FILES_DIR", str(files_dir))
    get_settings.cache_clear()
    cli_common.engine.cache_clear()

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke
    cli_common.engine().dispose()
    cli_common.engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def tokens(registry, uow_factory):
    """A bearer token for every user in the registry, keyed like registry.principals."""
    return {
        key: accounts.create_api_token(
            uow=uow_factory(), who=OPERATOR, email=email, name="t", days=1
        )
        for key, email in registry.emails.items()
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient, email: str, password: str = PASSWORD, next_url: str = "/"):
    """Sign in through the real form, CSRF cookie and all."""
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf, "next": next_url},
        follow_redirects=False,
    )


def page_csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]
