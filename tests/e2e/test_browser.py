"""Real pages in Debian's headless Chromium, driven by Playwright, checked with axe-core."""

from __future__ import annotations

import pytest

from tests.e2e.browser_support import axe_violations, fill_sign_in, sign_in, sqlite_database_url

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


def test_scheme_admin_revokes_a_card_with_the_keyboard_and_pages_pass_axe(
    live_server, page, registry
):
    page.goto(f"{live_server}/login?next=/admin/cards")
    assert axe_violations(page) == []
    fill_sign_in(page, registry.emails["ecs_admin"])
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
    sign_in(page, live_server, registry.emails["ann"], "/my")
    assert registry.cards["ann"] in page.locator(".card-face").inner_text()
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
