"""The holder-bound phone card in Debian's headless Chromium (issue 18, item 1).

The holder sets up the phone (a WebCrypto key in IndexedDB), the browser goes offline, and the
page shows a code that renews itself; a screenshot of it, read by zxing, is ``valid`` to
``skillcard verify`` at once and not two minutes later; the same credential signed with the
key of another browser profile is refused; the check PWA's own verifier agrees.

Set SKILLCARD_SCREENSHOTS=/some/dir to keep the screenshots.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.adapters.qr import read_qr
from skillcard.services.credentials import trust
from skillcard.services.registry import photos
from tests.e2e.browser_support import (
    PHONE,
    axe_violations,
    chromium,
    sign_in,
    sqlite_database_url,
)
from tests.factories import OPERATOR

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


def _shoot(page, name: str) -> None:
    folder = os.environ.get("SKILLCARD_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _code(page) -> str:
    return page.locator("#holder-qr-canvas").get_attribute("data-text") or ""


def _verify(cli, tmp_path: Path, png: bytes, *extra: str) -> tuple[int, dict]:
    path = tmp_path / "screen.png"
    path.write_bytes(png)
    code, out, _ = cli("verify", "--qr", str(path), "--json", *extra)
    return code, json.loads(out)


def test_the_phone_shows_a_renewing_code_offline_that_only_its_key_makes(
    live_server, registry, uow_factory, files_dir, cli, tmp_path
):
    photos.set_photo(
        uow=uow_factory(), store=PhotoStore(files_dir), who=OPERATOR,
        cardholder_id=registry.holders["ann"], data=drawn_portrait("Ann Núñez-O'Brien"),
    )  # fmt: skip
    number = registry.cards["ann"]
    with chromium() as browser:
        phone = browser.new_context(viewport=PHONE)
        page = phone.new_page()
        sign_in(page, live_server, registry.emails["ann"], "/my")
        page.goto(f"{live_server}/my/cards/{number}/phone")
        page.get_by_role("button", name="Set up this phone").wait_for()
        assert axe_violations(page) == []
        page.get_by_role("button", name="Set up this phone").click()
        page.get_by_role("link", name="Open your card with no signal").wait_for()
        assert "This phone is set up" in page.locator("#enrol-status").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _shoot(page, "phone-enrolled.png")

        page.goto(f"{live_server}/my/phone?card={number}")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
        phone.set_offline(True)
        page.reload()  # served by the service worker: the shell, with the card from IndexedDB
        page.locator("#holder-qr-canvas[data-text]").wait_for()
        assert page.evaluate("navigator.onLine") is False
        assert page.locator("#holder-face .holder").inner_text() == "Ann Núñez-O'Brien"
        assert page.locator("#holder-face .phone-photo").evaluate("i => i.naturalWidth") > 0
        assert axe_violations(page) == []
        _shoot(page, "phone-offline.png")
        first = _code(page)
        version = int(page.locator("#holder-qr-canvas").get_attribute("data-version"))
        assert first.startswith("SC2:") and version <= 29

        # What a checker's camera sees: the screen, read by zxing.
        shot = page.locator("#holder-qr-canvas").screenshot()
        [read] = read_qr(shot)
        assert read.text == first and read.version == version
        code, answer = _verify(cli, tmp_path, shot)
        assert (code, answer["outcome"], answer["claims"]["number"]) == (0, "valid", number)
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).isoformat()
        code, answer = _verify(cli, tmp_path, shot, "--at", later)
        assert (code, answer["outcome"]) == (1, "expired")

        # Still offline, the phone makes a fresh code on its own (every 30 s).
        page.wait_for_function(
            "old => document.querySelector('#holder-qr-canvas').dataset.text !== old",
            arg=first,
            timeout=35_000,
        )
        assert _code(page) != first and read_qr(page.locator("#holder-qr-canvas").screenshot())

        # The credential copied to another browser profile, signed there with its own key.
        credential = page.evaluate(
            "async n => (await SkillcardHolder.allCards()).find(c => c.number === n).credential",
            number,
        )
        other = browser.new_context(viewport=PHONE).new_page()
        other.goto(f"{live_server}/my/phone")
        other.wait_for_function("() => window.SkillcardHolder !== undefined")
        copied = other.evaluate(
            """async credential => {
                const keys = await crypto.subtle.generateKey(
                    { name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
                return SkillcardHolder.presentation(
                    { credential, keys }, Math.floor(Date.now() / 1000));
            }""",
            credential,
        )
        code, out, _ = cli("verify", "--text", copied, "--json")
        assert (code, json.loads(out)["outcome"]) == (1, "bad_signature")

        # The check PWA's offline verifier agrees with `skillcard verify`.
        fresh = _code(page)
        other.goto(f"{live_server}/check")
        other.wait_for_function("() => window.SkillcardOffline !== undefined")
        found = other.evaluate(
            """async ([doc, texts]) => {
                const bundle = await SkillcardOffline.loadBundle(doc, new Date());
                const out = [];
                for (const [text, ms] of texts) {
                    out.push((await SkillcardOffline.verify(text, bundle, new Date(ms))).outcome);
                }
                return out;
            }""",
            [
                trust.verifier_bundle(uow=uow_factory()),
                [[fresh, _ms(0)], [fresh, _ms(120)], [copied, _ms(0)]],
            ],
        )
        assert found == ["valid", "expired", "bad_signature"]

        # Back online, the holder revokes this phone's card from the card's page.
        phone.set_offline(False)
        page.goto(f"{live_server}/my/cards/{number}/phone")
        assert "Phone key" in page.locator(".device-list").inner_text()
        _shoot(page, "phone-devices.png")
        page.get_by_role("button", name="Revoke this phone's card").click()
        page.wait_for_url(f"**/my/cards/{number}/phone?done=revoked")
        assert "revoked" in page.locator(".device-list").inner_text()
        code, out, _ = cli("verify", "--text", fresh, "--json")
        assert (code, json.loads(out)["outcome"]) == (1, "revoked")


def _ms(seconds_on: int) -> float:
    return (dt.datetime.now(dt.UTC).timestamp() + seconds_on) * 1000
