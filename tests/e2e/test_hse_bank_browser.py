"""The HSE item bank's pages in Debian's Chromium at a phone's width: an admin filters the
list, opens a question and changes it with the keyboard alone; every page passes axe."""

from __future__ import annotations

import pytest

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.services.hse import hse_bank
from tests.e2e.browser_support import axe_violations, sign_in, sqlite_database_url
from tests.factories import OPERATOR

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


@pytest.fixture
def live_server(live_server, uow_factory):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    return live_server


def test_an_admin_changes_a_question_with_the_keyboard(live_server, page, registry, uow_factory):
    sign_in(page, live_server, registry.emails["hub"], landing="/admin/cards")
    page.get_by_role("link", name="HSE question bank").click()
    page.wait_for_url(f"{live_server}/admin/hse/items")
    assert axe_violations(page) == []
    page.get_by_label("Topic").select_option("ppe")
    page.get_by_role("button", name="Show questions").click()
    page.wait_for_url("**/admin/hse/items?topic=ppe&status=")
    assert page.locator(".bank-items li").count() == sum(i.topic == "ppe" for i in demo_items())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.get_by_role("link", name="HSE-PPE-001").click()
    assert axe_violations(page) == []

    page.get_by_label("Question").focus()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.get_by_role("button", name="Save changes").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "A question needs a stem" in page.locator(".error-summary").inner_text()
    assert axe_violations(page) == []
    page.locator(".error-summary a").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Who must provide PPE needed for the job, and pay for it?")
    page.get_by_role("button", name="Save changes").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/hse/items/HSE-PPE-001?saved=1")
    assert "version 2, live" in page.locator(".notice").inner_text()
    with uow_factory() as uow:
        stems = [i.stem for i in uow.hse_items.versions("HSE-PPE-001")]
    assert stems[-1] == "Who must provide PPE needed for the job, and pay for it?"


def test_a_scheme_admin_reads_a_question_but_is_offered_no_form(
    live_server, page, registry, tmp_path
):
    # Issue 14: the bank is shared by every scheme, so only hub admins change it.
    sign_in(page, live_server, registry.emails["ecs_admin"], landing="/admin/cards")
    page.goto(f"{live_server}/admin/hse/items/HSE-PPE-001")
    assert page.get_by_text("only hub admins change it").is_visible()
    assert page.get_by_role("button", name="Save changes").count() == 0
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "bank-item-read-only.png", full_page=True)
