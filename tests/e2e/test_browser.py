"""Real pages in Debian's headless Chromium, driven by Playwright, checked with axe-core."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from skillcard.config import Settings
from skillcard.web import create_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    """The browser tests run on SQLite; the HTTP tests already cover both databases."""
    from skillcard.adapters.db.engine import make_engine
    from skillcard.adapters.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def live_server(registry, database_url, engine):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(environment="test", database_url=database_url), engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        yield context.new_page()
        browser.close()


def axe_violations(page) -> list[str]:
    page.add_script_tag(content=AXE)
    found = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => v.id + ': ' + v.help + ' ' + v.nodes.length)"
    )
    return found


def test_scheme_admin_revokes_a_card_with_the_keyboard_and_pages_pass_axe(
    live_server, page, registry
):
    page.goto(f"{live_server}/login?next=/admin/cards")
    assert axe_violations(page) == []
    page.get_by_label("E-mail address").fill(registry.emails["ecs_admin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/admin/cards")
    assert axe_violations(page) == []
    page.get_by_label("Card number or surname").fill("nunez")  # htmx searches as one types
    result = page.locator(".results a", has_text=registry.cards["ann"])
    result.wait_for()
    result.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/cards/{registry.cards['ann']}")
    assert page.locator(".card-face .state-badge").inner_text().startswith("Valid")
    assert axe_violations(page) == []
    page.locator("#reason-revoke").fill("Forged certificate")
    page.get_by_role("button", name="Revoke card").click()
    page.wait_for_selector("text=The card was revoked")
    assert "Revoked" in page.locator(".card-face .state-badge").inner_text()
    assert "Forged certificate" in page.locator(".history").inner_text()


def test_cardholder_sees_their_card_on_a_phone(live_server, page, registry):
    page.goto(f"{live_server}/login?next=/my")
    page.get_by_label("E-mail address").fill(registry.emails["ann"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/my")
    assert registry.cards["ann"] in page.locator(".card-face").inner_text()
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
