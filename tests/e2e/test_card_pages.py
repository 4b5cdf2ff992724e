"""Photos, the printable card and the phone card, over HTTP on both databases."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.adapters.qr import qr_png, read_qr
from skillcard.domain.credentials import MAX_PORTRAIT_BYTES
from skillcard.services.audit import audit
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import credentials
from skillcard.services.credentials.verification import verify
from skillcard.services.registry import photos
from tests.e2e.conftest import page_csrf, sign_in
from tests.factories import OPERATOR


def jpeg(size=(300, 375), colour=(200, 120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def stored_files(files_dir) -> list:
    return sorted(p for p in files_dir.rglob("*") if p.is_file()) if files_dir.exists() else []


def upload(client, number: str, holder_id: int, data: bytes, name="face.png", kind="image/png"):
    page = client.get(f"/admin/cards/{number}")
    return client.post(
        f"/admin/cardholders/{holder_id}/photo",
        data={"csrf_token": page_csrf(page.text), "card": number},
        files={"photo": (name, data, kind)},
        follow_redirects=False,
    )


def give_photo(uow_factory, files_dir, holder_id: int, name: str = "Ann Test") -> str:
    return photos.set_photo(
        uow=uow_factory(),
        store=PhotoStore(files_dir),
        who=OPERATOR,
        cardholder_id=holder_id,
        data=drawn_portrait(name),
    )


def local_bundle(uow_factory, now):
    with uow_factory() as uow:
        bundle = credentials.local_bundle(uow, now)
        uow.commit()
    return bundle


# Photos ---------------------------------------------------------------------------------------


def test_scheme_admin_uploads_a_photo_that_is_stored_by_content_and_audited(
    client, registry, uow_factory, files_dir
):
    sign_in(client, registry.emails["ecs_admin"])
    answer = upload(client, registry.cards["ann"], registry.holders["ann"], drawn_portrait("Ann"))
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"])
    assert "given a new photo" in page.text
    with uow_factory() as uow:
        digest = uow.cardholders.get(registry.holders["ann"]).photo_sha256
    assert digest and f"/photos/{digest}" in page.text
    stored = PhotoStore(files_dir).path(digest)
    import hashlib

    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest
    served = client.get(f"/photos/{digest}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).format == "JPEG"
    events = audit.history(
        uow=uow_factory(), entity_type="cardholder", entity_id=str(registry.holders["ann"])
    )
    assert [e.action for e in events][-1] == "cardholder.photo"


def test_hub_admin_uploads_a_jpeg(client, registry, uow_factory):
    sign_in(client, registry.emails["hub"])
    answer = upload(
        client, registry.cards["cy"], registry.holders["cy"], jpeg(), "cy.jpg", "image/jpeg"
    )
    assert answer.status_code == 303
    with uow_factory() as uow:
        assert uow.cardholders.get(registry.holders["cy"]).photo_sha256


def _bomb_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 megapixels in a few kB
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 2000, "photo.jpg", "not a JPEG or PNG"),
        (b"#!/bin/sh\nrm -rf /\n", "face.png", "not a JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 100, "face.jpg", "not a JPEG or PNG"),
        (b"\x00" * (5 * 1024 * 1024 + 10), "big.jpg", "larger than 5 MB"),
        ("bomb", "bomb.png", "too many pixels"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "cut.png", "not a JPEG or PNG"),
        (b"", "empty.jpg", "empty"),
    ],
)
def test_hostile_files_are_refused_and_nothing_is_stored(
    client, registry, uow_factory, files_dir, data, name, message
):
    data = _bomb_png() if data == "bomb" else data
    sign_in(client, registry.emails["ecs_admin"])
    answer = upload(
        client, registry.cards["ann"], registry.holders["ann"], data, name, "image/jpeg"
    )
    assert answer.status_code == 422
    assert "The photo was not accepted" in answer.text and message in answer.text
    assert stored_files(files_dir) == []
    with uow_factory() as uow:
        assert uow.cardholders.get(registry.holders["ann"]).photo_sha256 is None


def test_a_truncated_jpeg_is_refused(client, registry, files_dir):
    sign_in(client, registry.emails["ecs_admin"])
    data = jpeg()[:400]
    answer = upload(client, registry.cards["ann"], registry.holders["ann"], data, "a.jpg")
    assert answer.status_code == 422 and "The photo was not accepted" in answer.text
    assert stored_files(files_dir) == []


def test_photo_upload_needs_the_forms_csrf_token(client, registry, files_dir):
    sign_in(client, registry.emails["ecs_admin"])
    answer = client.post(
        f"/admin/cardholders/{registry.holders['ann']}/photo",
        data={"csrf_token": "forged", "card": registry.cards["ann"]},
        files={"photo": ("a.png", drawn_portrait("Ann"), "image/png")},
    )
    assert answer.status_code == 403 and stored_files(files_dir) == []


@pytest.mark.parametrize(
    ("user", "status"), [("cpcs_admin", 404), ("ann", 403), ("biz_admin", 403)]
)
def test_only_admins_who_may_see_the_holder_upload(client, registry, files_dir, user, status):
    sign_in(client, registry.emails[user])
    page = client.get({"ann": "/my", "biz_admin": "/check"}.get(user, "/admin/cards"))
    answer = client.post(
        f"/admin/cardholders/{registry.holders['ann']}/photo",
        data={"csrf_token": page_csrf(page.text)},
        files={"photo": ("a.png", drawn_portrait("Ann"), "image/png")},
    )
    assert answer.status_code == status
    assert stored_files(files_dir) == []


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("ann", 200),
        ("ecs_admin", 200),
        ("hub", 200),
        ("bob", 404),
        ("cpcs_admin", 404),
        ("biz_admin", 404),
        ("biz_checker", 404),
    ],
)
def test_a_photo_is_served_only_to_those_who_may_see_its_holder(
    client, registry, uow_factory, files_dir, user, status
):
    digest = give_photo(uow_factory, files_dir, registry.holders["ann"])
    sign_in(client, registry.emails[user])
    assert client.get(f"/photos/{digest}").status_code == status
    assert client.get(f"/photos/{'0' * 64}").status_code == 404
    assert client.get("/photos/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_signed_out_visitors_get_no_photo(client, registry, uow_factory, files_dir):
    digest = give_photo(uow_factory, files_dir, registry.holders["ann"])
    answer = client.get(f"/photos/{digest}", follow_redirects=False)
    assert answer.status_code == 303 and "/login" in answer.headers["location"]


# The printable card ----------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["ann", "ecs_admin", "hub"])
def test_print_page_shows_front_and_a_printed_qr_that_verifies(
    client, registry, uow_factory, files_dir, user
):
    digest = give_photo(uow_factory, files_dir, registry.holders["ann"])
    sign_in(client, registry.emails[user])
    page = client.get(f"/cards/{registry.cards['ann']}/print")
    assert page.status_code == 200
    assert "<svg" in page.text and "Digital card QR code" in page.text
    assert f"/photos/{digest}" in page.text and "Núñez-O&#39;Brien" in page.text
    assert "85.60 × 53.98 mm" in page.text
    # issue 19: the back names the service's address, and dates read as everywhere else
    assert "localhost:8000<wbr>/check</strong>" in page.text
    assert "<strong>/check</strong>" not in page.text
    assert "/20" not in page.text.split("id1-front")[1].split("id1-back")[0]
    text = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    (code,) = read_qr(qr_png(text))
    assert code.text == text and code.version <= 15
    now = utcnow()
    result = verify(text, local_bundle(uow_factory, now), now)
    assert result.outcome == "valid" and result.claims.presentation == "printed"
    assert result.claims.portrait is None


@pytest.mark.parametrize("user", ["bob", "cpcs_admin", "biz_admin", "biz_checker"])
def test_print_page_is_not_for_others(client, registry, user):
    sign_in(client, registry.emails[user])
    assert client.get(f"/cards/{registry.cards['ann']}/print").status_code == 404


def test_links_to_the_print_and_phone_pages(client, registry):
    sign_in(client, registry.emails["ann"])
    mine = client.get("/my").text
    number = registry.cards["ann"]
    assert f"/my/cards/{number}/phone" in mine and f"/cards/{number}/print" in mine
    sign_in(client, registry.emails["ecs_admin"])
    assert f"/cards/{number}/print" in client.get(f"/admin/cards/{number}").text


def test_admin_card_page_reads_in_words_not_code_words(client, registry):
    """Issue 19: no card type code, no raw status beside the badge, no "cli" as an actor."""
    sign_in(client, registry.emails["ecs_admin"])
    page = client.get(f"/admin/cards/{registry.cards['ann']}").text
    assert "Status</dt>" not in page and "<dd>active</dd>" not in page
    assert "(GOLD)" not in page and "Installation Electrician" in page
    assert " by cli " not in page and "UTC" not in page
    assert "recorded " in page and (" GMT" in page or " BST" in page)


# The phone card --------------------------------------------------------------------------------


def _qr_text_of(uow_factory, files_dir, registry, now):
    return photos.phone_credential(
        uow=uow_factory(),
        store=PhotoStore(files_dir),
        who=registry.principals["ann"],
        number=registry.cards["ann"],
        now=now,
    )


def test_phone_code_carries_the_portrait_and_expires_within_minutes(
    client, registry, uow_factory, files_dir
):
    give_photo(uow_factory, files_dir, registry.holders["ann"])
    sign_in(client, registry.emails["ann"])
    number = registry.cards["ann"]
    page = client.get(f"/my/cards/{number}/phone")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'hx-trigger="every 60s, shown"' in page.text and "/static/phone-qr.js" in page.text
    assert "This code refreshes every minute" in page.text and "<svg" in page.text
    partial = client.get(f"/my/cards/{number}/phone/qr")
    assert partial.status_code == 200 and "<html" not in partial.text and "<svg" in partial.text
    now = utcnow().replace(microsecond=0)
    text = _qr_text_of(uow_factory, files_dir, registry, now)
    result = verify(text, local_bundle(uow_factory, now), now)
    assert result.outcome == "valid" and result.claims.presentation == "phone"
    portrait = result.claims.portrait
    assert portrait and len(portrait) <= MAX_PORTRAIT_BYTES
    assert Image.open(io.BytesIO(portrait)).size == (48, 60)
    # valid for 5 minutes, with the 5 minutes of clock skew every checker tolerates
    later = now + dt.timedelta(minutes=10, seconds=1)
    assert verify(text, local_bundle(uow_factory, later), later).outcome == "expired"
    (code,) = read_qr(qr_png(text, error="m", max_version=None))
    assert code.text == text


def test_the_partial_is_signed_afresh(client, registry, uow_factory, files_dir):
    give_photo(uow_factory, files_dir, registry.holders["ann"])
    first = _qr_text_of(uow_factory, files_dir, registry, utcnow())
    second = _qr_text_of(uow_factory, files_dir, registry, utcnow() + dt.timedelta(seconds=61))
    assert first != second


def test_phone_code_without_a_photo_asks_to_contact_the_scheme(
    client, registry, uow_factory, files_dir
):
    sign_in(client, registry.emails["ann"])
    page = client.get(f"/my/cards/{registry.cards['ann']}/phone")
    assert page.status_code == 200 and "Please contact ECS scheme" in page.text
    now = utcnow()
    text = _qr_text_of(uow_factory, files_dir, registry, now)
    result = verify(text, local_bundle(uow_factory, now), now)
    assert result.outcome == "valid" and result.claims.portrait is None


@pytest.mark.parametrize(
    ("user", "status"),
    [("bob", 404), ("ecs_admin", 403), ("hub", 403), ("cpcs_admin", 403), ("biz_checker", 403)],
)
def test_phone_page_is_for_the_holder_only(client, registry, user, status):
    sign_in(client, registry.emails[user])
    number = registry.cards["ann"]
    assert client.get(f"/my/cards/{number}/phone").status_code == status
    assert client.get(f"/my/cards/{number}/phone/qr").status_code == status


def test_a_scheme_that_signs_its_own_cards_gets_no_code_from_the_hub(client, registry, uow_factory):
    """Issue 17 item 3: the print and phone pages say so plainly, with no hub-signed code."""
    import json

    from skillcard.adapters import keys
    from skillcard.services.credentials import scheme_keys

    scheme_keys.register_key(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS",
        public_key=json.dumps(keys.public_key_jwk(keys.generate_private_key())),
        valid_until=utcnow() + dt.timedelta(days=30),
    )  # fmt: skip
    number = registry.cards["ann"]
    sign_in(client, registry.emails["ann"])
    phone = client.get(f"/my/cards/{number}/phone")
    assert phone.status_code == 200 and "signs its own credentials" in phone.text
    assert "<svg" not in phone.text
    printed = client.get(f"/cards/{number}/print")
    assert printed.status_code == 200 and "This card gets no QR code" in printed.text
