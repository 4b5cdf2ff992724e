"""GET /api/v1/changes and PUT /api/v1/changes/webhook over HTTP (issue 17 item 2)."""

from __future__ import annotations

from tests.e2e.conftest import bearer


def test_the_pull_feed_pages_by_cursor_and_refuses_a_bad_one(client, registry, tokens):
    hub = bearer(tokens["hub"])
    first = client.get("/api/v1/changes?limit=2", headers=hub)
    assert first.status_code == 200
    body = first.json()
    assert [c["kind"] for c in body["changes"]] == ["issued", "issued"]
    assert body["next"] == body["changes"][-1]["cursor"]
    assert "card_id" not in body["changes"][0]  # the row id stays inside the hub
    number = registry.cards["bob"]
    revoked = client.post(f"/api/v1/cards/{number}/revoke", json={"reason": "fraud"}, headers=hub)
    assert revoked.status_code == 200
    rest = client.get("/api/v1/changes", params={"after": body["next"]}, headers=hub).json()
    assert [(c["card_number"], c["kind"], c["status"]) for c in rest["changes"]] == [
        (registry.cards["cy"], "issued", "active"),
        (number, "status", "revoked"),
    ]
    bad = client.get("/api/v1/changes", params={"after": "not-a-cursor"}, headers=hub)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_cursor"
    assert client.get("/api/v1/changes?limit=0", headers=hub).status_code == 422
    assert client.get("/api/v1/changes").status_code == 401


def test_a_scheme_reads_its_own_cards_and_is_refused_another_schemes(client, registry, tokens):
    ecs = bearer(tokens["ecs_admin"])
    mine = client.get("/api/v1/changes", headers=ecs).json()["changes"]
    assert {c["scheme"] for c in mine} == {"ECS"} and len(mine) == 2
    assert client.get("/api/v1/changes?scheme=CPCS", headers=ecs).status_code == 403
    assert client.get("/api/v1/changes", headers=bearer(tokens["ann"])).status_code == 403
    assert client.get("/api/v1/changes?scheme=NOPE", headers=ecs).status_code == 404


def test_a_scheme_webhook_must_be_public_https(client, registry, tokens):
    ecs = bearer(tokens["ecs_admin"])
    for url in ("https://127.0.0.1/hook", "http://example.com/", "https://10.0.0.1/"):
        answer = client.put(
            "/api/v1/changes/webhook", json={"scheme": "ECS", "url": url}, headers=ecs
        )
        assert answer.status_code == 422, url
    cleared = client.put("/api/v1/changes/webhook", json={"scheme": "ECS"}, headers=ecs)
    assert cleared.status_code == 200 and cleared.json() == {"secret": None}
    other = client.put("/api/v1/changes/webhook", json={"scheme": "CPCS"}, headers=ecs)
    assert other.status_code == 403
    shown = client.get("/api/v1/changes/webhook?scheme=ECS", headers=ecs)
    assert shown.json() == {"url": None, "last_delivery": None}
    assert client.get("/api/v1/changes/webhook?scheme=CPCS", headers=ecs).status_code == 403
