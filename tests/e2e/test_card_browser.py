"""The phone card in Debian's headless Chromium: its QR refreshes on its own; axe finds nothing.

Set SKILLCARD_SCREENSHOTS=/some/dir to keep screenshots of the phone and print pages.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.config import Settings
from skillcard.services import photos
from skillcard.web import create_app
from tests.e2e.test_browser import axe_violations, database_url, page  # noqa: F401
from tests.factories import OPERATOR, PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def files_dir(tmp_path):
    return tmp_path / "files"


@pytest.fixture
def live_server(registry, database_url, engine, files_dir):  # noqa: F811
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(environment="test", database_url=database_url, files_dir=files_dir)
    app = create_app(settings, engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _shoot(browser_page, name: str) -> None:
    folder = os.environ.get("SKILLCARD_SCREENSHOTS")
    if folder:
        browser_page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_phone_card_refreshes_its_code_and_passes_axe(
    live_server,
    page,  # noqa: F811
    registry,
    uow_factory,
    files_dir,
):
    photos.set_photo(
        uow=uow_factory(),
        store=PhotoStore(files_dir),
        who=OPERATOR,
        cardholder_id=registry.holders["ann"],
        data=drawn_portrait("Ann Núñez-O'Brien"),
    )
    number = registry.cards["ann"]
    page.goto(f"{live_server}/login?next=/my")
    page.get_by_label("E-mail address").fill(registry.emails["ann"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/my")
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
