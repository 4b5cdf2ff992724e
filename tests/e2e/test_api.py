"""The JSON API over HTTP, on SQLite and PostgreSQL: contracts, errors and role boundaries."""

from __future__ import annotations

from tests.e2e.conftest import bearer
from tests.factories import PASSWORD


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/cards/{number}",
        "/api/v1/cards/{number}/revoke",
        "/api/v1/schemes",
        "/api/v1/cardholders/{cardholder_id}",
        "/api/v1/tokens",
    ):
        assert path in spec["paths"]


def test_schemes_are_public(client, registry):
    codes = [s["code"] for s in client.get("/api/v1/schemes").json()]
    assert codes == ["CPCS", "ECS"]
    types = client.get("/api/v1/schemes/ecs/card-types").json()
    assert {t["code"] for t in types} == {"GOLD", "TRAINEE"}
    missing = client.get("/api/v1/schemes/NOPE")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_a_token_from_email_and_password_works_and_a_wrong_password_does_not(client, registry):
    wrong = client.post(
        "/api/v1/tokens", json={"email": registry.emails["hub"], "password": "wrong password"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "that e-mail address and password do not match an account",
        }
    }
    token = client.post(
        "/api/v1/tokens", json={"email": registry.emails["hub"], "password": PASSWORD}
    ).json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["role"] == "hub_admin"


def test_no_token_or_a_forged_one_is_401(client, registry):
    number = registry.cards["ann"]
    assert client.get(f"/api/v1/cards/{number}").status_code == 401
    forged = client.get(f"/api/v1/cards/{number}", headers=bearer("sc_forged"))
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "not_authenticated"


def test_lifecycle_over_http(client, registry, tokens):
    auth, number = bearer(tokens["ecs_admin"]), registry.cards["bob"]
    card = client.get(f"/api/v1/cards/{number}", headers=auth).json()
    assert (card["state"], card["holder_name"]) == ("valid", "Bob Smith")
    suspended = client.post(
        f"/api/v1/cards/{number}/suspend", json={"reason": "audit"}, headers=auth
    )
    assert suspended.json()["state"] == "suspended"
    revoked = client.post(f"/api/v1/cards/{number}/revoke", json={"reason": "fraud"}, headers=auth)
    assert revoked.json()["state"] == "revoked"
    illegal = client.post(f"/api/v1/cards/{number}/reinstate", json={}, headers=auth)
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "illegal_transition"
    assert client.get(f"/api/v1/cards/{number}", headers=auth).json()["state"] == "revoked"


def test_bad_input_is_a_4xx_with_the_error_shape(client, registry, tokens):
    auth = bearer(tokens["hub"])
    number = registry.cards["ann"]
    wrong_digit = number[:-1] + str((int(number[-1]) + 1) % 10)
    answer = client.get(f"/api/v1/cards/{wrong_digit}", headers=auth)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_card_number"
    no_reason = client.post(f"/api/v1/cards/{number}/revoke", json={"reason": ""}, headers=auth)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["message"]
    bad_body = client.post("/api/v1/cards", json={"scheme": "ECS"}, headers=auth)
    assert bad_body.status_code == 422 and bad_body.json()["error"]["code"] == "invalid_input"
    not_json = client.post(
        "/api/v1/cards", content=b"\xff\x00", headers={**auth, "content-type": "application/json"}
    )
    assert not_json.status_code == 422
    unknown = client.get("/api/v1/nowhere")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_issue_register_and_duplicates(client, registry, tokens):
    auth = bearer(tokens["ecs_admin"])
    created = client.post(
        "/api/v1/cardholders", json={"given_names": "Zoë", "surname": "Ng"}, headers=auth
    )
    assert created.status_code == 201
    holder_id = created.json()["id"]
    card = client.post(
        "/api/v1/cards",
        json={"cardholder_id": holder_id, "scheme": "ECS", "card_type": "GOLD"},
        headers=auth,
    )
    assert card.status_code == 201 and card.json()["number"].startswith("ECS")
    record = client.get(f"/api/v1/cardholders/{holder_id}", headers=auth).json()
    assert [c["number"] for c in record["cards"]] == [card.json()["number"]]
    hub = bearer(tokens["hub"])
    dup = client.post(
        "/api/v1/users",
        json={"email": registry.emails["ann"], "role": "hub_admin", "password": "a long password"},
        headers=hub,
    )
    assert dup.status_code == 409 and "already exists" in dup.json()["error"]["message"]


def test_roles_through_the_api(client, registry, tokens):
    cpcs_card, ann_card = registry.cards["cy"], registry.cards["ann"]
    ecs = bearer(tokens["ecs_admin"])
    assert client.get(f"/api/v1/cards/{cpcs_card}", headers=ecs).status_code == 404
    assert (
        client.post(
            f"/api/v1/cards/{cpcs_card}/revoke", json={"reason": "x"}, headers=ecs
        ).status_code
        == 404
    )
    ann = bearer(tokens["ann"])
    assert client.get(f"/api/v1/cards/{ann_card}", headers=ann).status_code == 200
    assert client.get(f"/api/v1/cards/{registry.cards['bob']}", headers=ann).status_code == 404
    assert (
        client.post(
            f"/api/v1/cards/{ann_card}/suspend", json={"reason": "x"}, headers=ann
        ).status_code
        == 403
    )
    assert (
        client.get(f"/api/v1/cardholders/{registry.holders['bob']}", headers=ann).status_code == 404
    )
    checker = bearer(tokens["biz_checker"])
    assert client.get("/api/v1/cards", params={"q": "smith"}, headers=checker).status_code == 403
    assert (
        client.post(
            "/api/v1/users",
            json={"email": "x@example.test", "role": "hub_admin", "password": "a long password"},
            headers=ecs,
        ).status_code
        == 403
    )
