"""The phone card in Debian's headless Chromium: its QR refreshes on its own; axe finds nothing.

Set SKILLCARD_SCREENSHOTS=/some/dir to keep screenshots of the phone and print pages.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.services.registry import photos
from tests.e2e.browser_support import axe_violations, sign_in, sqlite_database_url
from tests.factories import OPERATOR

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


def _shoot(browser_page, name: str) -> None:
    folder = os.environ.get("SKILLCARD_SCREENSHOTS")
    if folder:
        browser_page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_phone_card_refreshes_its_code_and_passes_axe(
    live_server, page, registry, uow_factory, files_dir
):
    photos.set_photo(
        uow=uow_factory(),
        store=PhotoStore(files_dir),
        who=OPERATOR,
        cardholder_id=registry.holders["ann"],
        data=drawn_portrait("Ann Núñez-O'Brien"),
    )
    number = registry.cards["ann"]
    sign_in(page, live_server, registry.emails["ann"], "/my")
    page.get_by_role("link", name=f"Show card {number} on this phone").click()
    page.wait_for_url(f"**/my/cards/{number}/phone")
    page.locator("#phone-qr svg").wait_for()
    assert page.locator(".phone-photo").evaluate("img => img.naturalWidth") > 0
    assert "This code refreshes every minute" in page.locator("#phone-qr").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    qr_width = page.locator("#phone-qr svg").bounding_box()["width"]
    assert qr_width >= 300, "the code should fill the phone's width"
    assert axe_violations(page) == []
    _shoot(page, "phone.png")

    # A faster refresh for the test (the page polls every 2 s instead of every 60 s); the
    # signature's time moves on by whole seconds, so wait until a new code is shown.
    page.goto(f"{live_server}/my/cards/{number}/phone?every=2")
    first = page.locator("#phone-qr svg").inner_html()
    page.wait_for_function(
        "old => document.querySelector('#phone-qr svg')?.innerHTML !== old",
        arg=first,
        timeout=15_000,
    )
    assert page.locator("#phone-qr svg").count() == 1

    page.goto(f"{live_server}/cards/{number}/print")
    page.locator(".id1-qr svg").wait_for()
    assert axe_violations(page) == []
    _shoot(page, "print.png")
    page.emulate_media(media="print")
    _shoot(page, "print-media.png")
