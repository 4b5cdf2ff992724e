"""Smart Check in Debian's headless Chromium at phone size, checked with axe-core (issue 3)."""

from __future__ import annotations

import pytest

from tests.e2e.browser_support import axe_violations, sqlite_database_url

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


def test_a_site_checker_checks_a_card_by_number_and_sees_green(live_server, page, registry):
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="I check cards on site").click()
    page.wait_for_url(f"{live_server}/check")
    assert axe_violations(page) == []
    page.get_by_label("Card number").fill(registry.cards["ann"].lower())
    page.get_by_label("Surname on the card").fill("nunez obrien")
    page.get_by_role("button", name="Check card").click()  # htmx swaps in the answer
    result = page.locator(".check-result.check-green")
    result.wait_for()
    assert "Valid card" in result.inner_text() and "Ann Núñez-O'Brien" in result.inner_text()
    # the page moves focus to the answer once htmx has settled it, a moment after it shows
    page.wait_for_function("() => document.activeElement.classList.contains('check-result')")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Surname on the card").fill("Smith")
    page.keyboard.press("Enter")
    page.locator(".check-result.check-red").wait_for()
    assert "No match" in page.locator(".check-result").inner_text()
    assert axe_violations(page) == []
