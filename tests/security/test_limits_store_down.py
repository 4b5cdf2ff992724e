"""One stated behaviour when the rate counters' store (Redis) cannot be reached (issue 16):
public checks fail open, with a log line; sign-in and the forms that send e-mail fail closed."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from skillcard.config import Settings
from skillcard.web import create_app
from tests.e2e.conftest import sign_in

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens there: connection refused


@pytest.fixture
def redis_down(engine, database_url):
    settings = Settings(environment="test", database_url=database_url, redis_url=CLOSED_PORT)
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def test_public_checks_are_answered_and_the_outage_logged(redis_down, registry, caplog):
    caplog.set_level(logging.WARNING, logger="skillcard.adapters.rate_limits")
    params = {"number": registry.cards["ann"], "surname": "Nunez-OBrien"}
    answers = [redis_down.get("/api/v1/check", params=params) for _ in range(3)]
    assert [(a.status_code, a.json()["outcome"]) for a in answers] == [(200, "valid")] * 3
    page = redis_down.post("/check", data=params | {"surname": "Nunez-OBrien"})
    assert page.status_code == 200  # the page's check too (the threaded limiter)
    assert "cannot be reached: allowing (fails open)" in caplog.text


def test_sign_in_is_refused_while_its_counters_cannot_be_reached(redis_down, caplog):
    refused = redis_down.post(
        "/api/v1/tokens", json={"email": "someone@example.test", "password": "a long password"}
    )
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    assert refused.json()["error"]["code"] == "limits_unavailable"
    assert "refusing (fails closed)" in caplog.text


def test_the_sign_in_page_says_so_and_lets_no_one_in(redis_down, registry):
    page = sign_in(redis_down, "ann@example.test")
    assert page.status_code == 503 and "skillcard_session" not in page.cookies
    assert "cannot be reached" in page.text and page.headers["Retry-After"] == "30"


def test_a_password_reset_mail_is_not_sent_while_the_counters_are_down(redis_down):
    asked = redis_down.post("/api/v1/password-resets", json={"email": "someone@example.test"})
    assert asked.status_code == 503
