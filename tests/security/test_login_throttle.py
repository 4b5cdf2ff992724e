"""Sign-in throttling (issue 14, Accounts 3): repeated failed sign-ins, on the page and at
``POST /api/v1/tokens``, are slowed then refused per account and per client address, in every
server process, with a 429 and Retry-After; the rightful user still gets in from elsewhere;
locks and refused attempts are in the audit log."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient

from skillcard.adapters.db.engine import make_engine
from skillcard.config import Settings
from skillcard.domain.accounts import Role
from skillcard.services.accounts import accounts
from skillcard.services.audit import audit
from skillcard.web import create_app
from tests.factories import OPERATOR, PASSWORD

ANN = "ann@example.test"
WRONG = "not the password at all"
# Mid-window, so that no test's attempts straddle two windows of the fixed-window counters.
FROZEN = dt.datetime(2026, 5, 1, 12, 30, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr("skillcard.services.accounts.sign_in_throttle.utcnow", lambda: FROZEN)


@pytest.fixture
def ann(uow_factory):
    accounts.add_user(
        uow=uow_factory(), who=OPERATOR, email=ANN, display_name="Ann",
        role=Role.BUSINESS_CHECKER, password=PASSWORD,
    )  # fmt: skip


def make_app(database_url, engine, tmp_path, **limits):
    """An app whose counters are its own (a fresh secret keys every counter's name, so Redis
    keys of other tests and runs never meet these)."""
    settings = Settings(
        environment="test",
        database_url=database_url,
        files_dir=tmp_path / "files",
        secret_key=limits.pop("secret_key", uuid.uuid4().hex),
        **limits,
    )
    return create_app(settings, engine=engine)


def from_address(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def token_request(client: TestClient, password: str, email: str = ANN):
    return client.post("/api/v1/tokens", json={"email": email, "password": password})


def sign_in_page(client: TestClient, password: str, email: str = ANN):
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf, "next": "/"},
        follow_redirects=False,
    )


def sign_in_events(uow_factory, email: str = ANN):
    return audit.history(uow=uow_factory(True), entity_type="sign_in", entity_id=email)


def test_the_api_refuses_after_repeated_failures_with_retry_after(
    ann, database_url, engine, tmp_path, uow_factory
):
    app = make_app(database_url, engine, tmp_path, sign_in_slow_after=3)
    with from_address(app, "203.0.113.7") as attacker:
        assert [token_request(attacker, WRONG).status_code for _ in range(3)] == [401] * 3
        refused = token_request(attacker, PASSWORD)  # even the right one, from here, for now
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    with from_address(app, "198.51.100.20") as elsewhere:
        assert token_request(elsewhere, PASSWORD).status_code == 201
    (lock,) = sign_in_events(uow_factory)
    assert lock.action == "sign_in.lock" and lock.detail["scope"] == "pair"


def test_signing_in_clears_the_count_of_ones_own_typos(ann, database_url, engine, tmp_path):
    app = make_app(database_url, engine, tmp_path, sign_in_slow_after=3)
    with from_address(app, "192.0.2.1") as phone:
        codes = [token_request(phone, WRONG).status_code for _ in range(2)]
        codes.append(token_request(phone, PASSWORD).status_code)
        codes += [token_request(phone, WRONG).status_code for _ in range(4)]
    assert codes == [401, 401, 201, 401, 401, 401, 429]


def test_the_page_says_how_long_to_wait_and_links_the_password_reset(
    ann, database_url, engine, tmp_path
):
    app = make_app(database_url, engine, tmp_path, sign_in_slow_after=2)
    with from_address(app, "203.0.113.8") as browser:
        assert [sign_in_page(browser, WRONG).status_code for _ in range(2)] == [401, 401]
        refused = sign_in_page(browser, WRONG)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert 'href="/password/forgot"' in refused.text and "second" in refused.text
    assert "skillcard_session" not in refused.headers.get("set-cookie", "")


def test_many_addresses_close_the_account_only_for_the_set_window(
    ann, database_url, engine, tmp_path, uow_factory
):
    app = make_app(
        database_url, engine, tmp_path, sign_in_account_limit=4,
        sign_in_account_window_seconds=60,
    )  # fmt: skip
    codes = []
    for n in range(6):
        with from_address(app, f"203.0.113.{100 + n}") as attacker:
            codes.append(token_request(attacker, WRONG).status_code)
    assert codes == [401] * 4 + [429] * 2
    with from_address(app, "198.51.100.99") as rightful:
        closed = token_request(rightful, PASSWORD)
    assert closed.status_code == 429 and int(closed.headers["Retry-After"]) <= 60
    assert "reset your password" in closed.json()["error"]["message"]
    events = sign_in_events(uow_factory)
    assert [(e.action, e.detail["scope"], e.detail["refused_so_far"]) for e in events] == [
        ("sign_in.lock", "account", 1),
        ("sign_in.throttled", "account", 2),
    ]


def test_one_address_spraying_many_accounts_is_refused(database_url, engine, tmp_path):
    app = make_app(database_url, engine, tmp_path, sign_in_address_per_minute=5)
    with from_address(app, "203.0.113.50") as sprayer:
        answers = [token_request(sprayer, WRONG, f"user{n}@example.test") for n in range(7)]
        codes = [answer.status_code for answer in answers]
    assert codes == [401] * 5 + [429] * 2


def test_a_flood_of_refusals_is_audited_in_doublings_with_the_running_total(
    ann, database_url, engine, tmp_path, uow_factory
):
    app = make_app(database_url, engine, tmp_path, sign_in_slow_after=1)
    with from_address(app, "203.0.113.9") as attacker:
        codes = [token_request(attacker, WRONG).status_code for _ in range(10)]
    assert codes == [401] + [429] * 9
    events = sign_in_events(uow_factory)
    assert [e.detail["refused_so_far"] for e in events] == [1, 2, 4, 8]
    assert [e.action for e in events] == ["sign_in.lock"] + ["sign_in.throttled"] * 3
    assert all(e.actor == "sign-in throttle" and e.detail["client"] for e in events)


@pytest.mark.parametrize("redis_url", [None, "redis://127.0.0.1:6379/0"], ids=["db", "redis"])
def test_the_counts_hold_across_server_processes(ann, database_url, engine, tmp_path, redis_url):
    """Two apps on two engines stand for two worker processes: failures in one count in the
    other, whether the counters are in the database or in Redis."""
    limits = {"sign_in_slow_after": 3, "secret_key": uuid.uuid4().hex, "redis_url": redis_url}
    other_engine = make_engine(database_url)
    try:
        first = make_app(database_url, engine, tmp_path, **limits)
        second = make_app(database_url, other_engine, tmp_path, **limits)
        address = "203.0.113.77"
        with from_address(first, address) as one, from_address(second, address) as two:
            assert [token_request(one, WRONG).status_code for _ in range(2)] == [401, 401]
            assert token_request(two, WRONG).status_code == 401
            assert token_request(one, WRONG).status_code == 429
            assert token_request(two, WRONG).status_code == 429
    finally:
        other_engine.dispose()
