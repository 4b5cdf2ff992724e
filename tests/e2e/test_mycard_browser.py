"""MyCard in Debian's headless Chromium (issue 6): a holder logs CPD with a file, sees progress
and the chart, applies for a card; the scheme admin approves it; the card and its QR appear in
the holder's record. axe-core finds nothing on any page on the way."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.browser_support import axe_violations, sign_in, sqlite_database_url
from tests.mycard_support import PDF, add_hse_pass, sample_all_of_ecs

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


@pytest.fixture
def live_server(live_server, mycard):
    """The shared live server, over the registry plus the shipped reference data."""
    return live_server


def test_holder_logs_cpd_applies_and_the_admin_approves_the_card(
    live_server, page, registry, uow_factory
):
    add_hse_pass(uow_factory, registry.holders["ann"])
    sign_in(page, live_server, registry.emails["ann"], "/my")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Add CPD").click()
    page.wait_for_url("**/my/cpd#add")
    day = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Kind of activity").select_option("training_course")
    page.get_by_label("Title", exact=True).fill("Solar PV installation")
    page.get_by_label("Hours", exact=True).fill("6")
    page.get_by_label("What you learned").fill("DC isolation")
    page.get_by_label("Evidence (optional)").set_input_files(
        files=[{"name": "solar.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Save activity").click()
    page.wait_for_selector("text=Your activity was saved.")
    assert "6 of 30 hours" in page.locator(".cpd-progress").inner_text()
    assert page.locator(".cpd-chart rect.bar").count() == 13  # 12 months + 1 kind of activity
    assert page.locator(".cpd-entry a", has_text="solar.pdf").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []

    page.goto(f"{live_server}/my")
    page.get_by_role("link", name="Apply for a card or renew").click()
    page.get_by_label("Electrical Labourer").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Start application").click()
    page.wait_for_selector("text=Everything the rules ask for is in place.")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send application").click()
    page.wait_for_selector("text=Your application was sent.")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, registry.emails["ecs_admin"], "/admin/applications")
    section = page.locator("section.application", has_text="Electrical Labourer")
    assert "HSE test pass, valid until" in section.inner_text()
    assert axe_violations(page) == []
    section.get_by_role("button", name="Approve and issue card").focus()
    page.keyboard.press("Enter")  # the keyboard alone works the queue
    page.wait_for_selector("text=The application was approved and the card issued.")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, registry.emails["ann"], "/my")
    face = page.locator(".card-face", has_text="Electrical Labourer")
    number = face.locator(".number").first.inner_text().strip()
    assert number.startswith("ECS")
    assert "Card issued" in page.locator(".applications").inner_text()
    page.get_by_role("link", name=f"Show card {number} on this phone").click()
    page.locator("#phone-qr svg").wait_for()
    assert axe_violations(page) == []


def test_assessor_asks_for_more_and_the_holder_answers(live_server, page, registry, uow_factory):
    sample_all_of_ecs(uow_factory, registry, seed=3)
    sign_in(page, live_server, registry.emails["assessor"], "/assessor")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Ann Núñez-O'Brien").click()
    page.wait_for_url("**/assessor/cases/*")
    assert axe_violations(page) == []
    page.get_by_label("What more do you need?").fill("Add the certificate of your AM2")
    page.get_by_role("button", name="Ask for more").click()
    page.wait_for_selector("text=More asked of the holder")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, registry.emails["ann"], "/my/cpd")
    assert "Add the certificate of your AM2" in page.locator(".audit-case").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Your answer to the assessor").fill("Uploaded it with my course entry")
    page.get_by_role("button", name="Send answer").click()
    page.wait_for_selector("text=Holder answered")
    page.goto(f"{live_server}/my/qualifications")
    assert axe_violations(page) == []
    page.goto(f"{live_server}/my/apply")
    assert axe_violations(page) == []
