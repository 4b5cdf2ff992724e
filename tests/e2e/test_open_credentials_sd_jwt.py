"""The card as an SD-JWT VC (issue 18, item 2): exported by the holder over the API, read by the
``sd-jwt`` reference code (which skillcard did not write) with the key it finds at the issuer's
well-known place, and refused by skillcard's own verifier when it is tampered with."""

from __future__ import annotations

import base64
import json

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.holder import SDJWTHolder
from sd_jwt.verifier import SDJWTVerifier

from skillcard.services.registry import cards
from tests.e2e.conftest import bearer

ISSUER = "http://localhost:8000/schemes/ECS"  # the test settings' public_url


def _export(client, tokens, number, who="ann", **body):
    return client.post(f"/api/v1/my/cards/{number}/sd-jwt", json=body, headers=bearer(tokens[who]))


def _verify(client, text, **extra):
    answer = client.post("/api/v1/credentials/verify", json={"credential": text, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _issuer_key(client, header: dict) -> JWK:
    """What a stranger's verifier does: the issuer's metadata, then the key the kid names."""
    metadata = client.get("/.well-known/jwt-vc-issuer/schemes/ECS").json()
    assert metadata["issuer"] == ISSUER
    (jwk,) = [k for k in metadata["jwks"]["keys"] if k["kid"] == header["kid"]]
    return JWK(**jwk)


def _b64json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _b64(data: dict | list) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_the_holder_discloses_occupation_and_expiry_only_and_the_reference_code_reads_it(
    mycard, client, tokens
):
    number = mycard.cards["ann"]
    answer = _export(client, tokens, number, disclose=["occupation", "expiry_date"])
    assert answer.status_code == 200, answer.text
    text = answer.json()["sd_jwt"]
    header = _b64json(text.split(".")[0])
    assert header["typ"] == "dc+sd-jwt" and header["alg"] == "ES256"

    def issuer_key(iss, jose_header):
        assert iss == ISSUER
        return _issuer_key(client, jose_header)

    payload = SDJWTVerifier(text, issuer_key).get_verified_payload()
    assert payload["iss"] == ISSUER and payload["vct"].endswith("/credentials/skills-card")
    assert payload["occupation"] and payload["expiry_date"]
    for hidden in ("qualifications", "given_name", "family_name", "card_number"):
        assert hidden not in payload

    mine = _verify(client, text)
    assert mine["outcome"] == "valid" and mine["valid"] and mine["format"] == "sd-jwt-vc"
    assert mine["claims"]["occupation"] == payload["occupation"]
    assert "qualifications" not in mine["claims"]
    # The key is also in the JWKS and the scheme's did:web document, by the same kid.
    kids = [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]]
    assert header["kid"] in kids
    did = client.get("/schemes/ECS/did.json").json()
    assert did["id"] == "did:web:localhost%3A8000:schemes:ECS"
    assert f"{did['id']}#{header['kid']}" in did["assertionMethod"]
    assert client.get("/.well-known/did.json").json()["id"] == "did:web:localhost%3A8000"


def test_a_key_bound_presentation_made_by_the_reference_holder_code_is_checked_whole(
    mycard, client, tokens
):
    holder_key = JWK.generate(kty="EC", crv="P-256")
    holder_jwk = json.loads(holder_key.export_public())
    issued = _export(client, tokens, mycard.cards["ann"], holder_jwk=holder_jwk).json()["sd_jwt"]
    wallet = SDJWTHolder(issued)
    wallet.create_presentation(
        {"card_number": True, "expiry_date": True},
        nonce="n-1",
        aud="site-gate",
        holder_key=holder_key,
    )
    shown = wallet.sd_jwt_presentation
    assert _verify(client, shown, audience="site-gate")["outcome"] == "valid"
    theirs = SDJWTVerifier(
        shown,
        lambda iss, h: _issuer_key(client, h),
        expected_aud="site-gate",
        expected_nonce="n-1",
    ).get_verified_payload()
    assert set(theirs) >= {"card_number", "expiry_date"} and "family_name" not in theirs

    # A disclosure taken out after the holder signed: the key binding no longer covers it.
    jwt, first, _second, kb = shown.split("~")
    assert _verify(client, f"{jwt}~{first}~{kb}")["outcome"] == "bad_signature"
    assert _verify(client, shown, audience="another-site")["outcome"] == "bad_signature"


def test_tampered_sd_jwts_are_refused_with_the_right_word(mycard, client, tokens, uow_factory):
    number = mycard.cards["ann"]
    whole = _export(client, tokens, number).json()["sd_jwt"]
    jwt, *disclosures, _ = whole.split("~")
    head, body, signature = jwt.split(".")

    salt, name, value = _b64json(disclosures[0])
    altered = _b64([salt, name, "Someone Else" if isinstance(value, str) else ["AM2"]])
    added = _b64(["c2FsdHNhbHRzYWx0", "qualifications", ["Chartered Engineer"]])
    none_header = _b64({"alg": "none", "typ": "dc+sd-jwt"})
    hs_header = _b64({"alg": "HS256", "typ": "dc+sd-jwt", "kid": _b64json(head)["kid"]})
    cases = {
        "bad_signature": [
            f"{jwt}~{altered}~",  # a value changed
            f"{jwt}~{disclosures[1]}~{added}~",  # a claim the issuer never signed
            f"{none_header}.{body}.~",  # alg none
            f"{hs_header}.{body}.{signature}~",  # an algorithm the header chose
            f"{head}.{_b64({**_b64json(body), 'exp': 4102444800})}.{signature}~",
        ],
        "malformed": [
            "",
            "not an sd-jwt",
            f"{jwt}~{disclosures[0]}~{disclosures[0]}~",  # the same disclosure twice
            f"{jwt}~~",
            f"{jwt}~{_b64(['only', 'two'])}~",
            f"{_b64({'alg': 'ES256', 'typ': 'JWT'})}.{body}.{signature}~",
        ],
        "unknown_issuer": [
            f"{_b64({**_b64json(head), 'kid': 'nobodys-key'})}.{body}.{signature}~",
        ],
    }
    for outcome, texts in cases.items():
        for text in texts:
            found = _verify(client, text)
            assert (found["outcome"], found["valid"]) == (outcome, False), text
            assert found["claims"] is None

    cards.revoke_card(
        uow=uow_factory(), who=mycard.principals["ecs_admin"], number=number, reason="lost"
    )
    assert _verify(client, whole)["outcome"] == "revoked"


@pytest.mark.parametrize("who, status", [("bob", 404), ("ecs_admin", 403)])
def test_only_the_holder_exports_their_card(mycard, client, tokens, who, status):
    assert _export(client, tokens, mycard.cards["ann"], who=who).status_code == status


def test_an_unknown_claim_or_a_key_that_is_not_p256_is_a_422(mycard, client, tokens):
    number = mycard.cards["ann"]
    assert _export(client, tokens, number, disclose=["password"]).status_code == 422
    rsa = json.loads(JWK.generate(kty="RSA", size=2048).export_public())
    assert _export(client, tokens, number, holder_jwk=rsa).status_code == 422


def test_skillcard_verify_checks_a_downloaded_credential(mycard, client, tokens, cli, tmp_path):
    whole = _export(client, tokens, mycard.cards["ann"]).json()["sd_jwt"]
    saved = tmp_path / "card.sd-jwt"
    saved.write_text(whole)
    code, out, _ = cli("verify", "--credential", str(saved), "--json")
    assert code == 0 and json.loads(out)["outcome"] == "valid"
    jwt, first, *_ = whole.split("~")
    salt, name, _value = _b64json(first)
    saved.write_text(f"{jwt}~{_b64([salt, name, 'forged'])}~")
    code, out, _ = cli("verify", "--credential", str(saved), "--json")
    assert code == 1 and json.loads(out)["outcome"] == "bad_signature"
    code, out, _ = cli("verify", "--text", "a.b.c", "--json")
    assert code == 1 and json.loads(out)["outcome"] == "malformed"
    assert cli("verify", "--credential", str(tmp_path / "missing"))[0] == 2
