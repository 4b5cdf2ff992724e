"""Issue 14 in headless Chromium at a phone's width: the hub admin's page of businesses to
approve, and a business check refused plainly once the business's allowance is spent."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from skillcard.services.business import business_checks
from tests.e2e.browser_support import axe_violations, sign_in, sqlite_database_url
from tests.factories import business_budget
from tests.integration.test_business import register

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


def _shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SKILLCARD_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_spent_allowance_is_said_plainly_and_the_hub_approves(
    live_server, page, registry, uow_factory, tmp_path
):
    business_id, admin = register(uow_factory)
    budget = business_budget()  # the live server's: the settings' defaults
    # The day's allowance is spent, a minute's worth at a time over the minutes before now, so
    # the page's check is refused whenever it lands (a minute's allowance alone is renewed if
    # the minute turns meanwhile, which a loaded machine made happen).
    allowance = budget.rules.unapproved
    now = dt.datetime.now(dt.UTC)
    minutes = -(-allowance.per_day // allowance.per_minute)
    if (now - dt.timedelta(minutes=minutes)).date() != now.date():
        now += dt.timedelta(minutes=minutes)  # just after midnight: spend the next minutes
    for n in range(allowance.per_day):
        business_checks.check_for_business(
            uow=uow_factory(),
            who=admin,
            budget=budget,
            number=registry.cards["bob"],
            surname="Smith",
            now=now - dt.timedelta(minutes=n // allowance.per_minute),
        )
    sign_in(page, live_server, "boss@acme.test", "/business/check")
    page.get_by_label("Card number").fill(registry.cards["bob"])
    page.get_by_label("Surname on the card").fill("Smith")
    page.get_by_role("button", name="Check").first.click()
    page.wait_for_selector("text=used its allowance")
    assert "ask the hub to approve your business" in page.content()
    assert axe_violations(page) == []
    _shot(page, tmp_path, "business-check-refused")

    page.context.clear_cookies()
    sign_in(page, live_server, registry.emails["hub"], None)
    page.goto(f"{live_server}/business/approvals")
    assert axe_violations(page) == []
    _shot(page, tmp_path, "business-approvals")
    page.get_by_role("button", name="Approve Acme Builders").click()
    page.wait_for_selector("text=its full allowance applies now")
    assert axe_violations(page) == []
    assert business_id
