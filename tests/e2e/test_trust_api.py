"""The trust list, status lists, bundle and verify endpoints over HTTP."""

from __future__ import annotations

import os

from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import credentials, trust


def test_downloads_are_public_signed_and_cacheable(client, registry, uow_factory):
    for path in ("/api/v1/trust-list", "/api/v1/status-lists/ECS", "/api/v1/bundle"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "public, max-age=300"
        etag = answer.headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304
    bundle = client.get("/api/v1/bundle").json()
    assert trust.bundle_from_json(bundle, utcnow()).status_lists.keys() == {"ECS", "CPCS"}
    listed = client.get("/api/v1/status-lists/ECS").json()
    assert {"scheme", "issued", "ttl", "entries", "bits", "suspended", "kid", "signature"} == set(
        listed
    )
    assert client.get("/api/v1/status-lists/NOPE").status_code == 404


def test_verify_answers_valid_for_a_card_and_malformed_for_junk(client, registry, uow_factory):
    text = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    answer = client.post("/api/v1/verify", json={"qr": text})
    assert answer.status_code == 200
    body = answer.json()
    assert body["outcome"] == "valid" and body["claims"]["number"] == registry.cards["ann"]
    assert set(body) == {"outcome", "valid", "reasons", "warnings", "key_id", "claims"}
    for junk in (os.urandom(300).hex(), "SC1:" + "%%%%", "SC1:", ""):
        answer = client.post("/api/v1/verify", json={"qr": junk})
        assert (answer.status_code, answer.json()["outcome"]) == (200, "malformed"), junk
    # A NUL is refused at the door, as in any input (no QR text holds one).
    answer = client.post("/api/v1/verify", json={"qr": "\x00" * 50})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_input"


def test_verify_refuses_bodies_that_are_not_a_qr_text(client, registry):
    assert client.post("/api/v1/verify", content=os.urandom(500)).status_code == 422
    assert client.post("/api/v1/verify", json={"qr": 5}).status_code == 422
    huge = client.post("/api/v1/verify", content=b'{"qr": "' + b"A" * 100_000 + b'"}')
    assert huge.status_code == 422 and huge.json()["error"]["code"] == "invalid_input"


def test_the_bundle_carries_hub_signed_qualification_titles(client, registry, uow_factory):
    """Issue 19: offline checks show titles, not codes; the trust list is left as it was."""
    from skillcard.adapters import keys
    from skillcard.adapters.signed_json import signature_ok, unb64
    from skillcard.domain.schemes import Qualification

    with uow_factory() as uow:
        uow.reference.add_qualification(Qualification(code="EV_CHARGE_POINT", title="EV charging"))
        uow.commit()
    bundle = client.get("/api/v1/bundle").json()
    titles = bundle["qualification_titles"]
    assert titles["type"] == "skillcard-qualification-titles"
    assert titles["titles"] == {"EV_CHARGE_POINT": "EV charging"}
    hub = keys.load_public_key(unb64(bundle["trust_list"]["hub"]["public_key"]))
    assert signature_ok(titles, hub) and titles["kid"] == bundle["trust_list"]["kid"]
    forged = {**titles, "titles": {"EV_CHARGE_POINT": "Chartered Engineer"}}
    assert not signature_ok(forged, hub)
    assert bundle["trust_list"] == client.get("/api/v1/trust-list").json()
    assert trust.bundle_from_json(bundle, utcnow()).status_lists.keys() == {"ECS", "CPCS"}
