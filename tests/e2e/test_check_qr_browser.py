"""Smart Check by QR code in Debian's headless Chromium at phone size (issue 3, item 6): an
uploaded photo of the code, a revoked card's code, and checking offline in the browser against
the card list the service worker and the page kept. Every state is checked with axe-core."""

from __future__ import annotations

import pytest

from skillcard.adapters import qr
from skillcard.services.credentials import credentials
from skillcard.services.registry import cards
from tests.e2e.browser_support import PHONE, axe_violations, chromium, sqlite_database_url
from tests.factories import OPERATOR

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


def _png(tmp_path, uow_factory, number: str, name: str):
    path = tmp_path / name
    path.write_bytes(qr.qr_png(credentials.printed_credential(uow=uow_factory(), number=number)))
    return path


def test_an_uploaded_qr_photo_shows_green_and_a_revoked_cards_red(
    live_server, page, registry, uow_factory, tmp_path
):
    ann = _png(tmp_path, uow_factory, registry.cards["ann"], "ann.png")
    bob = _png(tmp_path, uow_factory, registry.cards["bob"], "bob.png")
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="x")
    page.goto(f"{live_server}/check")
    assert page.get_by_role("button", name="Scan a card with the camera").is_visible()
    assert axe_violations(page) == []
    page.get_by_label("Upload a photo of the QR code").set_input_files(ann)
    page.get_by_role("button", name="Check QR code").click()  # htmx posts the file
    result = page.locator(".check-result.check-green")
    result.wait_for()
    assert "Valid card" in result.inner_text() and "Ann Núñez-O'Brien" in result.inner_text()
    # the page moves focus to the answer once htmx has settled it, a moment after it shows
    page.wait_for_function("() => document.activeElement.classList.contains('check-result')")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    result.screenshot(path=str(tmp_path / "qr-green.png"))
    page.screenshot(path="/tmp/check-qr-green-phone.png", full_page=True)
    page.get_by_label("Upload a photo of the QR code").set_input_files(bob)
    page.get_by_role("button", name="Check QR code").click()
    red = page.locator('.check-result.check-red[data-outcome="revoked"]')
    red.wait_for()
    assert "Not valid: revoked" in red.inner_text()
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/check-qr-red-phone.png", full_page=True)
    # junk: the problem is said plainly, next to the form
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture at all")
    page.get_by_label("Upload a photo of the QR code").set_input_files(junk)
    page.get_by_role("button", name="Check QR code").click()
    page.locator(".error-summary").wait_for()
    assert "not an image" in page.locator(".error-summary").inner_text()
    assert axe_violations(page) == []
    # a number check afterwards replaces the QR answer: one answer on the page at a time
    page.get_by_label("Card number").fill(registry.cards["ann"])
    page.get_by_label("Surname on the card").fill("Nunez-OBrien")
    page.get_by_role("button", name="Check card").click()
    page.locator("#number-check .check-result.check-green").wait_for()
    assert page.locator(".check-result, .error-summary").count() == 1
    assert axe_violations(page) == []


def test_a_qr_code_is_checked_offline_in_the_browser(live_server, page, registry, uow_factory):
    import datetime as dt

    from skillcard.domain.people import HeldQualification
    from skillcard.domain.schemes import Qualification

    with uow_factory() as uow:  # issue 19: the offline answer shows the title, not the code
        uow.reference.add_qualification(Qualification(code="EV_CHARGE_POINT", title="EV charging"))
        holder = registry.holders["ann"]
        uow.cardholders.add(
            HeldQualification(holder, "EV_CHARGE_POINT", dt.date(2020, 1, 1), "", True)
        )
        uow.commit()
    good = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    page.goto(f"{live_server}/check")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    page.wait_for_function("() => localStorage.getItem('skillcard-bundle') !== null")
    page.context.set_offline(True)
    page.reload()  # served by the service worker from its cache
    note = page.locator("#offline-note")
    note.wait_for()
    assert "card list downloaded just now" in note.inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Or paste the code's text").fill(good)
    page.get_by_role("button", name="Check QR code").click()
    result = page.locator('.check-result.check-green[data-checked="offline"]')
    result.wait_for()
    text = result.inner_text()
    assert "Valid card" in text and "Ann Núñez-O'Brien" in text and registry.cards["ann"] in text
    assert "against the card list downloaded just now" in text
    assert "EV charging" in text and "EV_CHARGE_POINT" not in text
    # the page moves focus to the answer once htmx has settled it, a moment after it shows
    page.wait_for_function("() => document.activeElement.classList.contains('check-result')")
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/check-qr-offline-phone.png", full_page=True)
    for tampered, outcome in [
        (good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB"), None),
        ("SC1:" + "%%%", "malformed"),
        ("hello", "malformed"),
    ]:
        page.get_by_label("Or paste the code's text").fill(tampered)
        page.get_by_role("button", name="Check QR code").click()
        shown = page.locator('.check-result.check-red[data-checked="offline"]')
        shown.wait_for()
        assert shown.get_attribute("data-outcome") != "valid"
        if outcome:
            assert shown.get_attribute("data-outcome") == outcome
        assert axe_violations(page) == []


def _texts(uow_factory, registry) -> dict[str, str]:
    """QR texts for every outcome, made with the scheme's real key where one is needed."""
    import dataclasses
    import datetime as dt
    import zlib

    import cbor2
    from cryptography.hazmat.primitives.asymmetric import ec

    from skillcard.adapters import base45, cose
    from skillcard.domain.credentials import claims_from_map
    from skillcard.services.credentials.signing import current_signer
    from skillcard.services.credentials.verification import (
        PREFIX,
        cose_from_text,
        issue_credential,
        text_from_cose,
    )
    from skillcard.services.registry.cards import scheme_for_number

    good = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    revoked = credentials.printed_credential(uow=uow_factory(), number=registry.cards["bob"])
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="x")
    message = cose.decode(cose_from_text(good))
    claims = claims_from_map(cose.loads(message.payload))
    with uow_factory() as uow:
        scheme, _ = scheme_for_number(uow, registry.cards["ann"], None)
        kid, key = current_signer(uow, scheme.id)
        uow.commit()
    today = dt.date.today()
    stranger = ec.generate_private_key(ec.SECP256R1())
    s = int.from_bytes(message.signature[32:], "big")
    high_s = message.signature[:32] + (cose.P256_ORDER - s).to_bytes(32, "big")  # its twin
    parts = [message.protected, {}, message.payload]
    swap = dataclasses.replace
    return {
        "good": good,
        "revoked": revoked,
        "expired": issue_credential(
            swap(claims, issued=today - dt.timedelta(days=900), expires=today - dt.timedelta(2)),
            key,
            kid,
        ),
        "soon": issue_credential(swap(claims, expires=today + dt.timedelta(days=30)), key, kid),
        "future": issue_credential(
            swap(claims, issued=today + dt.timedelta(days=3), expires=today + dt.timedelta(900)),
            key,
            kid,
        ),
        "altered": issue_credential(swap(claims, holder_name="Someone Else"), stranger, kid),
        "stranger": issue_credential(claims, stranger, "not-a-known-key"),
        "other_scheme": issue_credential(swap(claims, scheme="CPCS"), key, kid),
        "uncompressed": issue_credential(claims, key, kid, compress=False),
        "bomb": PREFIX + base45.encode(zlib.compress(b"\0" * 200_000, 9)),
        "prefix": "HC1:" + good[4:],
        "base45": "SC1:" + "~~~~",
        "cut": good[:60],
        "cbor": PREFIX + base45.encode(bytes([0xD2, 0x84, 0x40, 0xA0, 0x1B] + [0xFF] * 8)),
        "high_s": text_from_cose(cbor2.dumps(cbor2.CBORTag(18, [*parts, high_s]))),
        "untagged": text_from_cose(cbor2.dumps([*parts, message.signature])),
    }


def test_offline_verification_in_the_browser_matches_the_python_verifier(
    live_server, page, registry, uow_factory
):
    """Every outcome, now and with the card list past its ttl, from the same bundle."""
    import datetime as dt
    import json

    from skillcard.services.credentials import trust
    from skillcard.services.credentials.verification import verify

    texts = _texts(uow_factory, registry)
    document = trust.verifier_bundle(uow=uow_factory())
    page.goto(f"{live_server}/check")
    page.wait_for_function("() => window.SkillcardOffline !== undefined")
    now = dt.datetime.now(dt.UTC)
    for moment in (now, now + dt.timedelta(hours=25)):
        bundle = trust.bundle_from_json(json.dumps(document), moment)
        expected = {
            name: verify(text, bundle, moment).outcome.value for name, text in texts.items()
        }
        found = page.evaluate(
            """async ([doc, texts, ms]) => {
                const bundle = await SkillcardOffline.loadBundle(doc, new Date(ms));
                const out = {};
                for (const [name, text] of Object.entries(texts)) {
                    out[name] = (await SkillcardOffline.verify(text, bundle, new Date(ms))).outcome;
                }
                return out;
            }""",
            [document, texts, moment.timestamp() * 1000],
        )
        assert found == expected, moment
    assert expected["good"] == "stale_status" and expected["revoked"] == "revoked"
    fresh = {
        name: verify(t, trust.bundle_from_json(document, now), now).outcome.value
        for name, t in texts.items()
    }
    assert fresh["good"] == "valid" and fresh["soon"] == "valid"
    assert {fresh[n] for n in ("bomb", "prefix", "base45", "cut", "cbor")} == {"malformed"}
    assert (fresh["altered"], fresh["stranger"]) == ("bad_signature", "unknown_issuer")
    assert (fresh["high_s"], fresh["untagged"]) == ("bad_signature", "malformed")
    assert (fresh["expired"], fresh["future"]) == ("expired", "not_yet_valid")
    # a trust list altered after signing is refused
    forged = json.loads(json.dumps(document))
    forged["trust_list"]["keys"][0]["scheme"] = "CPCS"
    refused = page.evaluate(
        "async (doc) => { try { await SkillcardOffline.loadBundle(doc); return 'loaded'; }"
        " catch (e) { return e.message; } }",
        forged,
    )
    assert "not signed by the hub" in refused


def _y4m(png: bytes, path) -> None:
    """A still video (grey QR code on white, 640x480) for Chromium's fake camera."""
    import io

    from PIL import Image

    code = Image.open(io.BytesIO(png)).convert("L")
    code.thumbnail((440, 440))
    frame = Image.new("L", (640, 480), 255)
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    one = b"FRAME\n" + frame.tobytes() + chroma + chroma
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + one * 10)


def test_scanning_a_card_with_the_camera_shows_its_answer(
    live_server, registry, uow_factory, tmp_path
):
    video = tmp_path / "card.y4m"
    _y4m(_png(tmp_path, uow_factory, registry.cards["ann"], "ann.png").read_bytes(), video)
    camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with chromium(*camera) as browser:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{live_server}/check")
        start = page.get_by_role("button", name="Scan a card with the camera")
        start.focus()
        page.keyboard.press("Enter")  # the camera starts only when asked
        result = page.locator(".check-result.check-green")
        result.wait_for(timeout=15_000)
        assert "Ann Núñez-O'Brien" in result.inner_text()
        assert page.get_by_role("status").first.inner_text() == "QR code read: checking it."
        assert page.evaluate("document.querySelector('#scanner-video').srcObject") is None
        assert axe_violations(page) == []
