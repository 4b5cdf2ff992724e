"""HTTP fixtures: the real app over a real database, driven by httpx's TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from skillcard.config import Settings
from skillcard.services import accounts
from skillcard.web import create_app
from tests.factories import OPERATOR, PASSWORD


@pytest.fixture
def app(engine, database_url):
    return create_app(Settings(environment="test", database_url=database_url), engine=engine)


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
