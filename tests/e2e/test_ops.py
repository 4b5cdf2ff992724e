"""What an operator relies on (issue 16, item 6): liveness, readiness, metrics, request ids."""

from __future__ import annotations

import io
import json
import logging
import re

from fastapi.testclient import TestClient

from skillcard.adapters.db.engine import make_engine
from skillcard.config import Settings
from skillcard.web import create_app
from skillcard.web.observability import JsonLines, WithRequestId

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2"


def test_a_live_process_with_its_database_is_healthy_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_with_a_dead_database_the_process_lives_but_is_not_ready():
    settings = Settings(environment="test", database_url=DEAD_DATABASE)
    engine = make_engine(DEAD_DATABASE)
    try:
        # No lifespan (no `with`): the app's start-up would fail on the dead database, and the
        # question here is what the endpoints say of a database lost while serving.
        client = TestClient(create_app(settings, engine=engine))
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "database": "unreachable"}
        assert ready.headers["Retry-After"] == "5"
    finally:
        engine.dispose()


def _sample(text: str, name: str, **labels: str) -> float:
    """A metric's value in Prometheus's text, 0 when it has no such sample."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_metrics_count_requests_latencies_and_checks_by_outcome(client, registry):
    before = client.get("/metrics").text
    number = registry.cards["ann"]
    assert (
        client.get("/api/v1/check", params={"number": number, "surname": "Nunez-OBrien"}).json()[
            "outcome"
        ]
        == "valid"
    )
    assert (
        client.get("/api/v1/check", params={"number": number, "surname": "Smith"}).json()["outcome"]
        == "no_match"
    )
    answer = client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    after = answer.text
    for outcome in ("valid", "no_match"):
        counted = _sample(after, "skillcard_checks_total", door="api", outcome=outcome)
        assert counted == _sample(before, "skillcard_checks_total", door="api", outcome=outcome) + 1
    requests = {"method": "GET", "route": "/api/v1/check", "status": "200"}
    assert _sample(after, "skillcard_http_requests_total", **requests) == (
        _sample(before, "skillcard_http_requests_total", **requests) + 2
    )
    timed = {"route": "/api/v1/check"}
    assert _sample(after, "skillcard_http_request_duration_seconds_count", **timed) == (
        _sample(before, "skillcard_http_request_duration_seconds_count", **timed) + 2
    )
    # A path no route takes is one label, not one per path (a card number is not a label)
    client.get("/no/such/page/12345")
    assert "/no/such/page" not in client.get("/metrics").text


def test_a_request_id_is_honoured_or_made_and_echoed(client):
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a.1"})
    assert given.headers["x-request-id"] == "proxy-7f3a.1"
    made = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    # An id that is not a plain token is not written into the logs: a new one is made
    hostile = client.get("/healthz", headers={"X-Request-ID": 'a b"}{'})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])
    # The Smart Check lane, which skips FastAPI's middleware, has one too
    lane = client.get("/api/v1/check", headers={"X-Request-ID": "lane-1"})
    assert lane.status_code == 422 and lane.headers["x-request-id"] == "lane-1"


def test_every_log_line_of_a_request_carries_its_id():
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonLines())
    handler.addFilter(WithRequestId())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    settings = Settings(environment="test", database_url=DEAD_DATABASE)
    engine = make_engine(DEAD_DATABASE)
    try:
        client = TestClient(create_app(settings, engine=engine))
        assert client.get("/readyz", headers={"X-Request-ID": "r-42"}).status_code == 503
        logging.getLogger("skillcard.test").info("between requests")
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        engine.dispose()
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    during = [line for line in lines if line["request_id"] == "r-42"]
    # readyz's own warning (written while answering) and the access line, both with the id
    assert {line["logger"] for line in during} >= {"skillcard.web.ops", "skillcard.access"}
    access = next(line for line in during if line["logger"] == "skillcard.access")
    assert (access["status"], access["route"], access["method"]) == (503, "/readyz", "GET")
    assert access["duration_ms"] >= 0
    outside = next(line for line in lines if line["message"] == "between requests")
    assert outside["request_id"] is None and outside["level"] == "info"


def test_other_parts_add_values_read_at_scrape_time(client):
    from skillcard.adapters import metrics

    depth = iter([7.0, 9.0])
    metrics.on_scrape("skillcard_test_queue_depth", "jobs waiting (test)", lambda: next(depth))
    metrics.on_scrape("skillcard_test_broken", "a probe that fails (test)", lambda: 1 / 0)
    try:
        first, second = client.get("/metrics").text, client.get("/metrics").text
    finally:
        metrics._probes.pop("skillcard_test_queue_depth")
        metrics._probes.pop("skillcard_test_broken")
    assert "skillcard_test_queue_depth 7.0" in first and "skillcard_test_queue_depth 9.0" in second
    # a probe that fails is left out, with everything else still there
    assert "skillcard_test_broken" not in first and "skillcard_http_requests_total" in first
