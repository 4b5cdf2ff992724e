"""The holder-bound phone card over HTTP (issue 18, item 1): enrolment's bad input gets a JSON
4xx and stores nothing; the holder, an admin's page and the API revoke a phone; the offline
shell is public and carries nothing personal. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.services.credentials import devices
from tests.e2e.conftest import page_csrf, sign_in


def _jwk() -> dict:
    n = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    enc = [base64.urlsafe_b64encode(v.to_bytes(32)).rstrip(b"=").decode() for v in (n.x, n.y)]
    return {"kty": "EC", "crv": "P-256", "x": enc[0], "y": enc[1]}


@pytest.fixture
def holder(client, registry):
    number = registry.cards["ann"]
    sign_in(client, registry.emails["ann"])
    page = client.get(f"/my/cards/{number}/phone")
    assert page.status_code == 200 and 'id="phone-enrol"' in page.text
    csrf = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
    return number, csrf


def _listed(uow_factory, registry):
    return devices.card_devices(
        uow=uow_factory(), who=registry.principals["ann"], number=registry.cards["ann"]
    )


@pytest.mark.parametrize(
    ("body", "csrf_ok", "status"),
    [
        ({"jwk": {**_jwk(), "d": "AAAA"}}, True, 422),
        ({"jwk": {**_jwk(), "crv": "P-521"}}, True, 422),
        ({"key": "nothing"}, True, 422),
        ("not json at all", True, 422),
        ({"jwk": _jwk()}, False, 403),
    ],
)
def test_bad_enrolments_get_a_json_error_and_store_nothing(
    client, holder, registry, uow_factory, body, csrf_ok, status
):
    number, csrf = holder
    raw = body if isinstance(body, str) else json.dumps(body)
    answer = client.post(
        f"/my/cards/{number}/device",
        content=raw,
        headers={"X-CSRF-Token": csrf if csrf_ok else "wrong", "Content-Type": "application/json"},
    )
    assert answer.status_code == status and answer.json()["error"]["message"]
    assert _listed(uow_factory, registry) == []


def test_the_holder_enrols_and_revokes_from_the_card_page(client, holder, registry, uow_factory):
    number, csrf = holder
    answer = client.post(
        f"/my/cards/{number}/device", json={"jwk": _jwk()}, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["card"]["number"] == number and body["credential"] and body["renew_seconds"] == 30
    page = client.get(f"/my/cards/{number}/phone")
    assert f"Phone key {body['key']}" in page.text
    done = client.post(
        f"/my/cards/{number}/devices/{body['device_id']}/revoke",
        data={"csrf_token": page_csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=revoked")
    [device] = _listed(uow_factory, registry)
    assert device.revoked and device.revoked_by == registry.emails["ann"]


def test_an_admin_revokes_from_the_card_page_and_by_the_api(
    client, holder, registry, uow_factory, tokens
):
    number, csrf = holder
    first = client.post(
        f"/my/cards/{number}/device", json={"jwk": _jwk()}, headers={"X-CSRF-Token": csrf}
    ).json()["device_id"]
    client.cookies.clear()
    sign_in(client, registry.emails["ecs_admin"])
    page = client.get(f"/admin/cards/{number}")
    assert "Phones this card is on" in page.text
    done = client.post(
        f"/admin/cards/{number}/devices/{first}/revoke",
        data={"csrf_token": page_csrf(page.text), "reason": "reported stolen"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "taken off its holder" in client.get(done.headers["location"]).text
    # The API: another scheme's admin cannot see it; this scheme's admin is told it is done.
    second = devices.enrol_device(
        uow=uow_factory(), store=None, who=registry.principals["ann"], number=number, jwk=_jwk()
    ).device_id
    api = "/api/v1/devices/{}/revoke"
    other = {"Authorization": f"Bearer {tokens['cpcs_admin']}"}
    mine = {"Authorization": f"Bearer {tokens['ecs_admin']}"}
    assert client.post(api.format(second), json={"reason": "x"}, headers=other).status_code == 404
    assert client.post(api.format(2**40), json={"reason": "x"}, headers=mine).status_code == 422
    assert client.post(api.format(second), json={"reason": ""}, headers=mine).status_code == 422
    revoked = client.post(api.format(second), json={"reason": "lost"}, headers=mine)
    assert revoked.status_code == 200 and revoked.json()["revoke_reason"] == "lost"
    listed = client.get(f"/api/v1/cards/{number}/devices", headers=mine).json()
    assert [d["revoked_at"] is not None for d in listed] == [True, True]


def test_the_offline_shell_is_public_and_personal_to_nobody(client, registry):
    page = client.get("/my/phone")
    assert page.status_code == 200 and "holder-card.js" in page.text
    assert "mycard.webmanifest" in page.text and registry.cards["ann"] not in page.text
