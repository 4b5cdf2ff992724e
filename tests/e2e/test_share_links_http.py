"""Share links (issue 18, item 3) over HTTP: nothing public until the holder shares; the public
page shows the issuer, what it certifies, its status now, the credential and a prefilled
LinkedIn link; views are counted on the holder's record; a revoked link answers 410."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from jwcrypto.jwk import JWK
from openbadgeslib.ob3 import OB3Verifier
from sd_jwt.verifier import SDJWTVerifier

from skillcard.services.registry import cards
from tests.e2e.conftest import page_csrf, sign_in
from tests.mycard_support import qualify_ann


def _share(client, what: str, days: str = "30"):
    page = client.get("/my/shares")
    assert page.status_code == 200
    return client.post(
        "/my/shares",
        data={"csrf_token": page_csrf(page.text), "what": what, "days": days},
        follow_redirects=False,
    )


def _links(html: str) -> list[str]:
    return sorted({part.split('"')[0] for part in html.split('href="/shared/')[1:]})


def test_a_shared_card_has_a_public_page_that_counts_views_and_goes_when_revoked(
    mycard, client, app, uow_factory
):
    number = mycard.cards["ann"]
    sign_in(client, mycard.emails["ann"])
    assert _links(client.get("/my").text) == []  # nothing public until she shares
    made = _share(client, f"card:{number}")
    assert made.status_code == 303 and made.headers["location"] == "/my/shares?done=made"
    (token,) = _links(client.get("/my").text)

    client.cookies.clear()  # a stranger, signed out
    for _ in range(2):
        page = client.get(f"/shared/{token}")
        assert page.status_code == 200
    assert page.headers["x-robots-tag"] == "noindex"
    text = page.text
    assert "Núñez-O&#39;Brien" in text and "ECS" in text and "<strong>Valid</strong>" in text
    assert "<svg" in text and f"/shared/{token}/credential" in text
    linkedin = text.split('href="https://www.linkedin.com/profile/add?')[1].split('"')[0]
    fields = parse_qs(linkedin.replace("&amp;", "&"))
    today = dt.date.today()
    assert fields["startTask"] == ["CERTIFICATION_NAME"] and fields["certId"] == [number]
    assert fields["certUrl"] == [f"http://localhost:8000/shared/{token}"]
    assert fields["issueYear"][0].isdigit() and int(fields["expirationYear"][0]) > today.year
    assert {"name", "organizationName", "issueMonth", "expirationMonth"} <= set(fields)

    download = client.get(f"/shared/{token}/credential")
    assert download.headers["content-type"].startswith("application/dc+sd-jwt")
    metadata = client.get("/.well-known/jwt-vc-issuer/schemes/ECS").json()
    payload = SDJWTVerifier(
        download.text, lambda iss, header: JWK(**metadata["jwks"]["keys"][-1])
    ).get_verified_payload()
    assert payload["card_number"] == number and "qualifications" not in payload

    sign_in(client, mycard.emails["ann"])
    record = client.get("/my").text
    assert "Viewed 2 times" in record
    cards.revoke_card(
        uow=uow_factory(), who=mycard.principals["ecs_admin"], number=number, reason="lost"
    )
    client.cookies.clear()
    assert "<strong>Revoked</strong>" in client.get(f"/shared/{token}").text  # its status now

    sign_in(client, mycard.emails["ann"])
    shares = client.get("/my/shares").text
    share_id = shares.split('action="/my/shares/')[1].split("/")[0]
    gone = client.post(
        f"/my/shares/{share_id}/revoke",
        data={"csrf_token": page_csrf(shares)},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    client.cookies.clear()
    assert client.get(f"/shared/{token}").status_code == 410
    assert client.get(f"/shared/{token}/credential").status_code == 410
    assert client.get("/shared/never-made").status_code == 404


def test_a_shared_achievement_downloads_as_an_open_badge(mycard, client, uow_factory):
    qualify_ann(uow_factory, mycard, ["AM2"], dt.date.today() - dt.timedelta(days=90))
    sign_in(client, mycard.emails["ann"])
    options = client.get("/my/shares").text
    key = options.split('value="achievement:qualification-')[1].split('"')[0]
    assert _share(client, f"achievement:qualification-{key}", days="7").status_code == 303
    (token,) = _links(client.get("/my/shares").text)
    client.cookies.clear()
    page = client.get(f"/shared/{token}")
    assert page.status_code == 200 and "skillcard hub" in page.text
    certid = parse_qs(
        urlsplit(
            page.text.split('href="https://www.linkedin.com')[1].split('"')[0].replace("&amp;", "&")
        ).query
    )["certId"][0]
    assert certid.startswith("urn:uuid:")

    def fetch(url: str) -> bytes:
        return client.get(url.split("localhost:8000", 1)[1]).content

    badge = client.get(f"/shared/{token}/credential")
    assert badge.headers["content-type"].startswith("application/vc+jwt")
    verified = OB3Verifier.for_issuer_did("did:web:localhost%3A8000", download=fetch).verify(
        badge.text, check_status=True, download=fetch
    )
    assert verified.id == certid


def test_a_holder_cannot_share_what_is_not_theirs_nor_for_too_long(mycard, client):
    sign_in(client, mycard.emails["ann"])
    refused = _share(client, f"card:{mycard.cards['bob']}")
    assert refused.status_code == 404
    too_long = _share(client, f"card:{mycard.cards['ann']}", days="9999")
    assert too_long.status_code == 422 and 'href="#share-days"' in too_long.text
    nothing = _share(client, "achievement:")
    assert nothing.status_code == 422 and 'href="#share-what"' in nothing.text
    assert _links(client.get("/my/shares").text) == []


def test_the_holder_downloads_the_card_showing_only_what_they_tick(mycard, client, uow_factory):
    qualify_ann(uow_factory, mycard, ["AM2"], dt.date.today() - dt.timedelta(days=90))
    number = mycard.cards["ann"]
    sign_in(client, mycard.emails["ann"])
    page = client.get("/my/shares").text
    assert 'value="qualifications">' in page  # offered, not ticked by default
    csrf = page_csrf(page)
    got = client.post(
        f"/my/cards/{number}/sd-jwt",
        data={"csrf_token": csrf, "claim": ["occupation", "expiry_date"]},
    )
    assert got.headers["content-type"].startswith("application/dc+sd-jwt")
    assert "attachment" in got.headers["content-disposition"]
    metadata = client.get("/.well-known/jwt-vc-issuer/schemes/ECS").json()
    payload = SDJWTVerifier(
        got.text, lambda iss, header: JWK(**metadata["jwks"]["keys"][-1])
    ).get_verified_payload()
    assert {"occupation", "expiry_date"} <= set(payload)
    assert not {"qualifications", "family_name", "card_number"} & set(payload)
    key = page.split('action="/my/achievements/')[1].split("/")[0]
    badge = client.post(f"/my/achievements/{key}/badge", data={"csrf_token": csrf})
    assert badge.status_code == 200 and badge.headers["content-type"].startswith(
        "application/vc+jwt"
    )
    refused = client.post(f"/my/achievements/{key}/badge", data={"csrf_token": "forged"})
    assert refused.status_code == 403
