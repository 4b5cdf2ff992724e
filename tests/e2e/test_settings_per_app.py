"""create_app(settings) alone decides: two apps made in one process with different settings
each use their own secret, public URL and password hasher (no service reads a global)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from skillcard.adapters import keys
from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.tables_trust import signing_keys
from skillcard.adapters.keys import SigningKeyError
from skillcard.config import Settings
from skillcard.web import create_app
from tests.factories import PASSWORD

SERVICES = Path(__file__).parents[2] / "src" / "skillcard" / "services"


def _app(tmp_path: Path, name: str, **settings) -> tuple[TestClient, sa.Engine]:
    url = f"sqlite:///{tmp_path / name}.db"
    engine = make_engine(url)
    upgrade(engine)
    made = Settings(database_url=url, files_dir=tmp_path / name / "files", **settings)
    return TestClient(create_app(made, engine=engine)), engine


@pytest.fixture
def two_apps(tmp_path):
    first = _app(
        tmp_path, "first", environment="test", secret_key="a" * 40, public_url="https://a.test"
    )
    second = _app(
        tmp_path,
        "second",
        environment="development",
        secret_key="b" * 40,
        public_url="https://b.test",
    )
    with first[0], second[0]:
        yield first, second
    first[1].dispose()
    second[1].dispose()


def _register(client: TestClient, email: str) -> None:
    business = {
        "name": "Sparks Ltd",
        "company_number": "01234567",
        "address": "1 High Street, Leeds",
        "admin_name": "Boss",
        "email": email,
        "password": PASSWORD,
    }
    answer = client.post("/api/v1/business/register", json=business)
    assert answer.status_code == 201, answer.text


def test_each_app_seals_its_signing_keys_with_its_own_secret(two_apps):
    for client, _engine in two_apps:
        assert client.get("/api/v1/trust-list").status_code == 200  # signed: keys made now
    sealed = []
    for (_client, engine), secret in zip(two_apps, ("a" * 40, "b" * 40), strict=True):
        with engine.connect() as connection:
            row = connection.execute(sa.select(signing_keys).limit(1)).one()
        blob, kid = bytes(row.private_key_encrypted), row.kid
        keys.decrypt_private_key(blob, secret, kid)  # its own app's secret opens it
        sealed.append((blob, kid))
    with pytest.raises(SigningKeyError):
        keys.decrypt_private_key(sealed[0][0], "b" * 40, sealed[0][1])


def test_each_app_mails_its_own_public_url_and_hashes_by_its_own_settings(two_apps):
    hashes, bodies = [], []
    for client, engine in two_apps:
        _register(client, "boss@sparks.test")
        with engine.connect() as connection:
            hashes.append(connection.scalar(sa.text("SELECT password_hash FROM users")))
            bodies.append(connection.scalar(sa.text("SELECT body FROM outbox_messages")))
    assert "https://a.test/business/confirm/" in bodies[0]
    assert "https://b.test/business/confirm/" in bodies[1]
    # environment=test picks Argon2's cheapest profile; development the recommended one
    assert "$m=8,t=1," in hashes[0]
    assert "$m=65536,t=3," in hashes[1]


def test_no_service_reads_the_settings_globally():
    """The settings object is built at an entry point (web/app.py, cli/) and passed down."""
    readers = []
    for path in sorted(SERVICES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = isinstance(node, ast.Name | ast.alias) and "get_settings" in (
                getattr(node, "id", None),
                getattr(node, "name", None),
            )
            if named:
                readers.append(path.name)
    assert readers == []
