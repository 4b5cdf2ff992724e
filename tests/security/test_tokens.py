"""API tokens can be seen and revoked (issue 14, Accounts 2): a user lists their tokens
(never the secrets) and revokes any; a hub admin revokes anyone's; a revoked or expired token
is refused at once by every server process."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from skillcard.adapters.db.engine import make_engine
from skillcard.config import Settings
from skillcard.domain.accounts import Role
from skillcard.services.accounts import accounts
from skillcard.web import create_app
from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.factories import OPERATOR, PASSWORD

# The HTTP and CLI fixtures of the end-to-end tests (this folder has no conftest of its own).
app, client, cli, files_dir = e2e.app, e2e.client, e2e.cli, e2e.files_dir

HUB, ANN, BOB = "hub@example.test", "ann@example.test", "bob@example.test"


@pytest.fixture
def people(uow_factory):
    roles = {HUB: Role.HUB_ADMIN, ANN: Role.BUSINESS_CHECKER, BOB: Role.BUSINESS_CHECKER}
    for email, role in roles.items():
        accounts.add_user(
            uow=uow_factory(), who=OPERATOR, email=email, display_name=email, role=role,
            password=PASSWORD,
        )  # fmt: skip


def issue(client, email: str, name: str = "laptop", **extra) -> str:
    answer = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD, "name": name, **extra}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def listed(client, token: str) -> list[dict]:
    answer = client.get("/api/v1/tokens", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_user_lists_their_tokens_without_the_secrets(client, people, cli):
    first = issue(client, ANN, "laptop")
    second = issue(client, ANN, "site tablet")
    issue(client, BOB, "bob's")
    tokens = listed(client, second)
    assert [t["name"] for t in tokens] == ["site tablet", "laptop"]
    assert {t["user_email"] for t in tokens} == {ANN}  # Bob's is not among them
    assert all(t["state"] == "active" and t["expires_at"] for t in tokens)
    assert tokens[0]["last_used_at"] is not None  # the listing request itself used it
    code, out, _ = cli("user", "tokens", ANN, "--json")
    sign_in(client, ANN)
    page = client.get("/account/tokens")
    assert code == 0 and page.status_code == 200 and "site tablet" in page.text
    for secret in (first, second):
        for shown in (str(tokens), out, page.text):
            assert secret not in shown and secret[3:20] not in shown


def test_a_revoked_token_is_refused_at_once_by_another_server_process(
    client, people, database_url, files_dir
):
    token = issue(client, ANN)
    # A second app on its own engine and connection pool stands for another worker process.
    other_engine = make_engine(database_url)
    settings = Settings(environment="test", database_url=database_url, files_dir=files_dir)
    try:
        with TestClient(create_app(settings, engine=other_engine)) as other:
            assert other.get("/api/v1/me", headers=bearer(token)).status_code == 200
            token_id = listed(client, token)[0]["id"]
            revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(token))
            assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
            assert other.get("/api/v1/me", headers=bearer(token)).status_code == 401
            assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    finally:
        other_engine.dispose()


def test_an_expired_token_is_refused(client, people, uow_factory):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    token = accounts.create_api_token(
        uow=uow_factory(), who=OPERATOR, email=ANN, name="old", days=1, now=long_ago
    )
    answer = client.get("/api/v1/me", headers=bearer(token))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "session_expired"


def test_another_user_cannot_revoke_your_token_but_a_hub_admin_can(client, people):
    anns = issue(client, ANN)
    bobs = issue(client, BOB)
    token_id = listed(client, anns)[0]["id"]
    refused = client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(bobs))
    assert refused.status_code == 404
    assert client.get(f"/api/v1/users/{ANN}/tokens", headers=bearer(bobs)).status_code == 404
    assert client.get("/api/v1/me", headers=bearer(anns)).status_code == 200  # still good

    hubs = issue(client, HUB)
    seen = client.get(f"/api/v1/users/{ANN}/tokens", headers=bearer(hubs)).json()
    assert [t["id"] for t in seen] == [token_id]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(hubs)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(anns)).status_code == 401


def test_the_page_revokes_only_with_its_csrf_token(client, people):
    token = issue(client, ANN)
    token_id = listed(client, token)[0]["id"]
    sign_in(client, ANN)
    page = client.get("/account/tokens")
    forged = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": "x"})
    assert forged.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    done = client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": page_csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert "revoked" in client.get(done.headers["location"]).text


def test_the_cli_lists_and_revokes_and_checks_whose_token_it_is(client, people, cli):
    token = issue(client, ANN)
    token_id = str(listed(client, token)[0]["id"])
    code, out, _ = cli("user", "tokens", ANN)
    assert code == 0 and "laptop" in out
    assert cli("user", "revoke-token", BOB, token_id)[0] == 2  # not Bob's: nothing revoked
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert cli("user", "revoke-token", ANN, token_id)[0] == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_token_lasts_the_set_days_and_never_more_than_a_year(client, people, cli):
    token = issue(client, ANN)
    made = listed(client, token)[0]
    lasts = dt.datetime.fromisoformat(made["expires_at"]) - dt.datetime.fromisoformat(
        made["created_at"]
    )
    assert lasts == dt.timedelta(days=Settings().api_token_days) < dt.timedelta(days=365)
    too_long = {"email": ANN, "password": PASSWORD, "days": 400}
    assert client.post("/api/v1/tokens", json=too_long).status_code == 422
    assert cli("user", "token", ANN, "--days", "400")[0] == 2


def test_last_use_is_written_at_most_once_a_minute(people, uow_factory):
    start = dt.datetime.now(dt.UTC)
    token = accounts.create_api_token(
        uow=uow_factory(), who=OPERATOR, email=ANN, name="busy", days=1, now=start
    )

    def use(seconds: int) -> dt.datetime | None:
        accounts.token_principal(
            uow=uow_factory(True),
            token=token,
            now=start + dt.timedelta(seconds=seconds),
            note_use=uow_factory,
        )
        with uow_factory(True) as uow:
            (row,) = uow.credentials.api_tokens(user_id=uow.users.by_email(ANN).id)
            return row.last_used_at.replace(tzinfo=dt.UTC)

    assert use(0) == start
    assert use(30) == start  # within the minute: not written again
    assert use(61) == start + dt.timedelta(seconds=61)
