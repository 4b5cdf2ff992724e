"""Achievements as Open Badges 3.0 (issue 18, item 2): exported by the holder over the API and
verified by openbadgeslib (which skillcard did not write) through the hub's did:web document and
its Bitstring Status List, fetched over HTTP as any verifier would; a withdrawn qualification
reads as revoked in both verifiers, and a broken proof never reads as valid."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier

from skillcard.services.mycard import cpd
from skillcard.services.registry import qualifications
from tests.e2e.conftest import bearer
from tests.mycard_support import qualify_ann

HUB_DID = "did:web:localhost%3A8000"


def _fetch(client):
    """openbadgeslib's downloader, answered by the app: did:web resolves to https, and the
    status list is at the test settings' public_url (http://localhost:8000)."""

    def download(url: str) -> bytes:
        path = url.removeprefix("https://localhost:8000").removeprefix("http://localhost:8000")
        assert path.startswith("/"), url
        answer = client.get(path)
        assert answer.status_code == 200, (url, answer.text)
        return answer.content

    return download


def _achievements(client, tokens):
    answer = client.get("/api/v1/my/achievements", headers=bearer(tokens["ann"]))
    assert answer.status_code == 200, answer.text
    return {a["key"]: a for a in answer.json()}


def _export(client, tokens, key, who="ann"):
    return client.post(f"/api/v1/my/achievements/{key}/badge", headers=bearer(tokens[who]))


def _verify(client, token):
    answer = client.post("/api/v1/credentials/verify", json={"credential": token})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _status_url(token: str) -> str:
    body = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return body["credentialStatus"]["statusListCredential"]


@pytest.fixture
def ann_achieved(mycard, uow_factory, evidence_store):
    today = dt.date.today()
    qualify_ann(uow_factory, mycard, ["AM2"], today - dt.timedelta(days=400))
    ann = mycard.principals["ann"]
    for title in ("Heat pumps", "BS 7671 update"):
        cpd.record_cpd(
            uow=uow_factory(),
            who=ann,
            store=evidence_store,
            cardholder_id=mycard.holders["ann"],
            activity_on=today - dt.timedelta(days=1) if today.day > 1 else today,
            activity_type="training_course",
            title=title,
            hours="3",
            files=[],
        )
    with uow_factory() as uow:
        ids = [r.id for r in uow.cpd.of_cardholder(mycard.holders["ann"])]
    cpd.verify_cpd(uow=uow_factory(), who=mycard.principals["ecs_admin"], record_id=ids[0])
    return mycard


def test_each_achievement_is_an_open_badge_openbadgeslib_verifies_with_its_status(
    ann_achieved, client, tokens
):
    found = _achievements(client, tokens)
    kinds = sorted(a["kind"] for a in found.values())
    assert kinds == ["cpd", "hse", "qualification"]
    year = dt.date.today().year
    assert found[f"cpd-{year}"]["name"] == f"3 hours of verified CPD in {year}"
    fetch = _fetch(client)
    verifier = OB3Verifier.for_issuer_did(HUB_DID, download=fetch)
    for key in found:
        answer = _export(client, tokens, key)
        assert answer.status_code == 200, answer.text
        token = answer.json()["credential"]
        badge = verifier.verify(token, check_status=True, verify_status_list=True, download=fetch)
        assert badge.issuer.id == HUB_DID and badge.achievement.name == found[key]["name"]
        assert _status_url(token) == ("http://localhost:8000/api/v1/badges/status-list")
        mine = _verify(client, token)
        assert (mine["outcome"], mine["format"]) == ("valid", "open-badge-3.0")
        # A second export is the same credential id, the same status entry.
        again = _export(client, tokens, key).json()
        assert again["id"] == answer.json()["id"]


def test_a_withdrawn_qualification_is_revoked_in_the_status_list(
    ann_achieved, client, tokens, uow_factory
):
    (key,) = [k for k, a in _achievements(client, tokens).items() if a["kind"] == "qualification"]
    token = _export(client, tokens, key).json()["credential"]
    fetch = _fetch(client)
    verifier = OB3Verifier.for_issuer_did(HUB_DID, download=fetch)
    verifier.verify(token, check_status=True, download=fetch)

    qualifications.review_qualification(
        uow=uow_factory(),
        who=ann_achieved.principals["ecs_admin"],
        held_id=int(key.split("-")[1]),
        verified=False,
        reason="the certificate was not genuine",
    )
    with pytest.raises(OB3VerificationError, match="revocation"):
        verifier.verify(token, check_status=True, download=fetch)
    assert _verify(client, token)["outcome"] == "revoked"
    assert key not in _achievements(client, tokens)  # and it cannot be exported again


def test_a_badge_with_a_broken_proof_is_refused_by_both_verifiers(ann_achieved, client, tokens):
    key = next(k for k, a in _achievements(client, tokens).items() if a["kind"] == "hse")
    token = _export(client, tokens, key).json()["credential"]
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged_body = base64.urlsafe_b64encode(
        json.dumps({**claims, "name": "Chartered Engineer"}).encode()
    ).rstrip(b"=")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    verifier = OB3Verifier.for_issuer_did(HUB_DID, download=_fetch(client))
    for broken, outcome in (
        (f"{head}.{forged_body.decode()}.{signature}", "bad_signature"),
        (f"{head}.{body}.{flipped}", "bad_signature"),
        (f"{none_head}.{body}.", "bad_signature"),
        (f"{head}.{body}", "malformed"),
    ):
        with pytest.raises(OB3VerificationError):
            verifier.verify(broken)
        mine = _verify(client, broken)
        assert (mine["outcome"], mine["valid"], mine["claims"]) == (outcome, False, None)


def test_the_status_list_is_a_signed_bitstring_of_131072_entries(ann_achieved, client, tokens):
    key = next(iter(_achievements(client, tokens)))
    _export(client, tokens, key)
    answer = client.get("/api/v1/badges/status-list")
    assert answer.headers["content-type"].startswith("application/vc+jwt")
    from openbadgeslib.ob3.status import decode_encoded_list

    body = json.loads(base64.urlsafe_b64decode(answer.text.split(".")[1] + "=="))
    assert "BitstringStatusListCredential" in body["type"]
    bits = decode_encoded_list(body["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == 131_072 and not any(bits)


@pytest.mark.parametrize("who, status", [("bob", 404), ("ecs_admin", 403)])
def test_only_the_holder_exports_their_achievements(ann_achieved, client, tokens, who, status):
    key = next(iter(_achievements(client, tokens)))
    assert _export(client, tokens, key, who=who).status_code == status
