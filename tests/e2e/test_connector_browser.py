"""The scheme admin's connector page in headless Chromium: a connector made, its token shown
once, and axe finds nothing (issue 17 item 1)."""

from __future__ import annotations

import os

from tests.e2e.browser_support import axe_violations, sign_in, sqlite_database_url

database_url = sqlite_database_url


def test_a_scheme_admin_makes_a_connector_in_the_browser(live_server, page, registry):
    sign_in(page, live_server, registry.emails["ecs_admin"], "/schemes/ECS/connectors")
    page.goto(f"{live_server}/schemes/ECS/connectors")
    page.fill("#name", "cardsys")
    page.click("text=Make a connector")
    assert page.locator(".token-secret").inner_text().startswith("sc_")
    assert axe_violations(page) == []
    shot = os.environ.get("SKILLCARD_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)
