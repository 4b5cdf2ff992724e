"""Smart Check by QR code over HTTP (issue 3, item 6): an uploaded photo of a card's QR code,
or its pasted text, gets the same green, amber or red answer as the number check; hostile
uploads get a plain message and a 4xx. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os

from PIL import Image

from skillcard.adapters import qr
from skillcard.services.credentials import credentials
from skillcard.services.registry import cards
from skillcard.web.pages.check_qr import MAX_UPLOAD_BYTES
from tests.e2e.conftest import page_csrf, sign_in
from tests.factories import OPERATOR


def _upload(client, data: bytes, name: str = "card.png", kind: str = "image/png", **headers):
    return client.post("/check/qr", files={"image": (name, data, kind)}, headers=headers)


def _png_of(uow_factory, number: str) -> bytes:
    return qr.qr_png(credentials.printed_credential(uow=uow_factory(), number=number))


def test_an_uploaded_qr_photo_gives_a_green_answer_with_the_holders_name(
    client, registry, uow_factory
):
    answer = _upload(client, _png_of(uow_factory, registry.cards["ann"]))
    assert answer.status_code == 200
    html = answer.text
    assert 'class="check-result check-green"' in html and 'data-outcome="valid"' in html
    assert "Ann Núñez-O&#39;Brien" in html and registry.cards["ann"] in html
    assert "Valid card" in html
    # htmx gets only the check area
    partial = _upload(client, _png_of(uow_factory, registry.cards["ann"]), **{"HX-Request": "1"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "check-green" in partial.text


def test_a_jpeg_photo_and_pasted_text_are_checked_too(client, registry, uow_factory):
    text = credentials.printed_credential(uow=uow_factory(), number=registry.cards["cy"])
    picture = Image.open(io.BytesIO(qr.qr_png(text))).convert("RGB")
    jpeg = io.BytesIO()
    picture.save(jpeg, "JPEG", quality=90)
    answer = _upload(client, jpeg.getvalue(), "photo.jpg", "image/jpeg")
    assert answer.status_code == 200 and "check-green" in answer.text and "Cy Jones" in answer.text
    pasted = client.post("/check/qr", data={"qr_text": text})
    assert pasted.status_code == 200 and "check-green" in pasted.text
    tampered = client.post("/check/qr", data={"qr_text": text[:-6] + "AAAAAA"})
    assert tampered.status_code == 200 and "check-red" in tampered.text
    assert 'data-outcome="valid"' not in tampered.text


def test_a_revoked_cards_qr_gives_red_revoked(client, registry, uow_factory):
    png = _png_of(uow_factory, registry.cards["bob"])  # printed while the card was good
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="x")
    answer = _upload(client, png)
    assert answer.status_code == 200
    assert "check-red" in answer.text and 'data-outcome="revoked"' in answer.text
    assert (
        "Not valid: revoked" in answer.text and "The scheme has revoked this card." in answer.text
    )


def test_hostile_uploads_get_a_plain_message_and_a_4xx(client, registry):
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    for data, name, words in [
        (os.urandom(3000), "card.png", "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg", "not an image"),
        (b"", "empty.png", "not an image"),
        (blank.getvalue(), "blank.png", "No QR code was found"),
    ]:
        answer = _upload(client, data, name)
        assert answer.status_code == 422, name
        assert "There is a problem" in answer.text and words in answer.text, name
        assert 'href="#qr-image"' in answer.text and 'aria-invalid="true"' in answer.text
        assert "check-result check-" not in answer.text
        partial = _upload(client, data, name, **{"HX-Request": "1"})
        assert partial.status_code == 200 and words in partial.text  # htmx swaps 2xx only
    big = _upload(client, b"\x89PNG" + b"\0" * (MAX_UPLOAD_BYTES + 100))
    assert big.status_code == 413 and "too big" in big.text
    big = _upload(client, b"\x89PNG" + b"\0" * (MAX_UPLOAD_BYTES + 200_000))
    assert big.status_code == 413 and "too big" in big.text, big.text[-3000:]
    nothing = client.post("/check/qr", data={"qr_text": "  "})
    assert nothing.status_code == 422 and "Choose a picture" in nothing.text
    junk = client.post("/check/qr", data={"qr_text": "hello"})
    assert junk.status_code == 200 and 'data-outcome="malformed"' in junk.text
    long = client.post("/check/qr", data={"qr_text": "SC1:" + "A" * 5000})
    assert long.status_code == 422 and "longer than any QR code" in long.text


def test_the_check_page_offers_the_qr_ways_and_a_signed_in_upload_needs_the_form(
    client, registry, uow_factory
):
    page = client.get("/check")
    assert page.status_code == 200
    for needle in (
        'type="file"',
        'accept="image/*"',
        'action="/check/qr"',
        "Scan a card",
        'rel="manifest"',
        "/static/check.js",
        "Or paste the code",
    ):
        assert needle in page.text, needle
    assert sign_in(client, registry.emails["biz_checker"]).status_code == 303
    png = _png_of(uow_factory, registry.cards["ann"])
    forged = client.post("/check/qr", files={"image": ("c.png", png, "image/png")})
    assert forged.status_code == 403
    csrf = page_csrf(client.get("/check").text)
    answer = client.post(
        "/check/qr", files={"image": ("c.png", png, "image/png")}, data={"csrf_token": csrf}
    )
    assert answer.status_code == 200 and "check-green" in answer.text


def test_the_pwa_files_are_served_and_jsqr_is_vendored_with_its_licence(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "/api/v1/bundle" in worker.text and "/check" in worker.text
    manifest = client.get("/static/manifest.webmanifest").json()
    assert manifest["start_url"] == "/check" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        answer = client.get(icon["src"])
        assert answer.status_code == 200
        size = Image.open(io.BytesIO(answer.content)).size
        assert f"{size[0]}x{size[1]}" == icon["sizes"]
    assert "jsQR" in client.get("/static/vendor/jsQR.js").text
    assert "Apache License" in client.get("/static/vendor/jsQR.LICENSE").text
    assert client.get("/static/offline-verify.js").status_code == 200
