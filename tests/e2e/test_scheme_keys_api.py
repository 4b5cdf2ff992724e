"""A scheme's own keys over HTTP: register (JWK or PEM), list, retire, the claims to sign, and
the verify endpoint accepting what the scheme signed (issue 17 item 3)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging

import cbor2
from cryptography.hazmat.primitives import serialization

from skillcard.adapters import keys
from skillcard.adapters.cose import sign
from skillcard.services.credentials.verification import text_from_cose
from tests.e2e.conftest import bearer

UNTIL = (dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).isoformat()


def test_a_scheme_admin_registers_a_key_and_the_api_verifies_its_credentials(
    client, registry, tokens, caplog
):
    ecs = bearer(tokens["ecs_admin"])
    key = keys.generate_private_key()
    caplog.set_level(logging.DEBUG)
    private = keys.public_key_jwk(key) | {"d": "c2VjcmV0LXNjYWxhcg"}
    answer = client.post(
        "/api/v1/schemes/ECS/keys", json={"public_key": private, "valid_until": UNTIL}, headers=ecs
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_public_key"
    assert "c2VjcmV0" not in answer.text + caplog.text  # neither answered nor logged

    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    answer = client.post(
        "/api/v1/schemes/ECS/keys",
        json={"public_key": pem.decode(), "valid_until": UNTIL},
        headers=bearer(tokens["cpcs_admin"]),
    )
    assert answer.status_code == 403
    answer = client.post(
        "/api/v1/schemes/ECS/keys", json={"public_key": pem.decode(), "valid_until": UNTIL},
        headers=ecs,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    kid = answer.json()["kid"]
    assert answer.json()["holder"] == "scheme" and kid == keys.key_id(key)
    again = client.post(
        "/api/v1/schemes/ECS/keys", json={"public_key": keys.public_key_jwk(key),
                                          "valid_until": UNTIL}, headers=ecs,
    )  # fmt: skip
    assert again.status_code == 409

    listed = client.get("/api/v1/schemes/ECS/keys", headers=ecs).json()
    # ECS had no hub-held key yet (nothing signed): none is made for it now
    assert [(k["holder"], k["status"]) for k in listed] == [("scheme", "current")]
    trust_list = client.get("/api/v1/trust-list").json()
    assert any(k["kid"] == kid and k["holder"] == "scheme" for k in trust_list["keys"])

    number = registry.cards["ann"]
    claims = client.get(f"/api/v1/schemes/ECS/cards/{number}/claims", headers=ecs)
    assert claims.status_code == 200, claims.text
    body = claims.json()
    signed = cbor2.loads(base64.urlsafe_b64decode(body["cbor"] + "=="))
    signed[12] = int(dt.datetime.now(dt.UTC).timestamp())
    text = text_from_cose(sign(cbor2.dumps(signed), key, kid))
    verdict = client.post("/api/v1/verify", json={"qr": text}).json()
    assert (verdict["outcome"], verdict["key_id"]) == ("valid", kid)
    assert verdict["claims"]["number"] == number == body["claims"]["number"]
    forbidden = client.get(
        f"/api/v1/schemes/ECS/cards/{number}/claims", headers=bearer(tokens["cpcs_admin"])
    )
    assert forbidden.status_code == 403

    gone = client.post(f"/api/v1/schemes/ECS/keys/{kid}/retire", json={"reason": "rotated"},
                       headers=ecs)  # fmt: skip
    assert gone.status_code == 200 and gone.json()["status"] == "retired"
    assert client.post("/api/v1/schemes/ECS/keys/nope/retire", json={"reason": "x"},
                       headers=ecs).status_code == 404  # fmt: skip


def test_bad_windows_and_keys_are_clear_errors(client, registry, tokens):
    ecs = bearer(tokens["ecs_admin"])
    jwk = keys.public_key_jwk(keys.generate_private_key())
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    for body, code in (
        ({"public_key": jwk, "valid_until": past}, "invalid_input"),
        ({"public_key": jwk, "valid_until": "2027-01-01T00:00:00"}, "invalid_input"),
        ({"public_key": json.dumps(jwk | {"kty": "RSA"}), "valid_until": UNTIL},
         "invalid_public_key"),
        ({"public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
          "valid_until": UNTIL}, "invalid_public_key"),
        ({"public_key": jwk}, "invalid_input"),
    ):  # fmt: skip
        answer = client.post("/api/v1/schemes/ECS/keys", json=body, headers=ecs)
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, code), body
    anonymous = client.post("/api/v1/schemes/ECS/keys", json={"public_key": jwk,
                                                               "valid_until": UNTIL})  # fmt: skip
    assert anonymous.status_code == 401
    assert client.get("/api/v1/schemes/ECS/keys", headers=ecs).json()[0]["holder"] == "hub"
