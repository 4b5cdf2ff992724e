"""The HSE assessment in Debian's Chromium with a fake camera (issue 5): the ID check, some
answers, a reload that resumes with the same answers and less time, leaving the tab, handing
in; an invigilator verifies; the result shows on the cardholder's record. Pages pass axe."""

from __future__ import annotations

import re
import time

import pytest

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import drawn_portrait
from skillcard.services.hse import hse_bank
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
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
def live_server(live_server, uow_factory):
    """The shared live server, with the demo item bank to draw the assessment from."""
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    return live_server


@pytest.fixture
def browser():
    with chromium(*FAKE_CAMERA) as launched:
        yield launched


def signed_in(browser, base: str, email: str, clock_hours_off: int = 0):
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["camera"], origin=base)
    if clock_hours_off:  # the candidate's device clock is far off; the countdown must not be
        context.add_init_script(
            f"const realNow = Date.now; Date.now = () => realNow() + {clock_hours_off * 3600_000};"
        )
    page = context.new_page()
    sign_in(page, base, email)
    return context, page


def seconds_on_clock(page) -> int:
    minutes, seconds = page.locator("#clock").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_candidate_sits_the_assessment_and_an_invigilator_verifies_it(
    live_server, browser, registry, uow_factory
):
    context, page = signed_in(browser, live_server, registry.emails["ann"], clock_hours_off=-5)
    page.goto(f"{live_server}/hse")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Start the identity check").click()
    page.wait_for_selector("text=Your camera is on.")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Take the photo of your face").click()
    page.wait_for_selector("text=Photo taken")
    page.set_input_files(
        "#id-document",
        files=[{"name": "passport.png", "mimeType": "image/png", "buffer": drawn_portrait("Ann")}],
    )
    page.get_by_role("button", name="Send the photos").click()
    page.wait_for_selector("text=Ready to start")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_selector("#q-1 legend")
    assert 29 * 60 <= seconds_on_clock(page) <= 30 * 60  # the server's time, not the device's
    assert axe_violations(page) == []
    chosen = {}
    for number in (1, 2, 3):
        question = page.locator(f"#q-{number}")
        question.locator("label").nth(number).click()
        page.wait_for_selector(f"text=Saved. {number} of 50 answered")
        chosen[question.get_attribute("data-item")] = str(number)
        page.get_by_role("button", name="Next question").click()
    before = seconds_on_clock(page)
    time.sleep(2.2)
    page.reload()
    page.wait_for_selector("#q-1 legend")
    after = seconds_on_clock(page)
    assert after < before, "the reloaded page shows less time left"
    for item, place in chosen.items():  # the same answers, from the server
        assert page.locator(f'input[name="q-{item}"][value="{place}"]').is_checked()
    other = context.new_page()  # leave the tab for another one, and come back
    other.goto(f"{live_server}/my")
    other.bring_to_front()
    time.sleep(0.5)
    page.bring_to_front()
    other.close()
    attempt_id = int(re.search(r"/hse/attempts/(\d+)", page.url).group(1))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "tab_hidden" not in kinds(uow_factory, attempt_id):
        time.sleep(0.2)
    assert "tab_hidden" in kinds(uow_factory, attempt_id)
    page.get_by_role("button", name="Review your answers").click()
    assert "Not answered" in page.locator("#review").inner_text()
    page.get_by_role("button", name="Hand in your answers").click()
    page.wait_for_selector("text=Your answers are in")
    context.close()

    context, page = signed_in(browser, live_server, registry.emails["invigilator"])
    page.goto(f"{live_server}/invigilation")
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile(f"attempt {attempt_id}")).click()
    page.wait_for_selector("text=left the test's tab")
    assert page.locator('img[alt="The candidate\'s photo ID"]').evaluate("i => i.naturalWidth") > 0
    assert axe_violations(page) == []
    page.get_by_label("Verify: the result counts").check()  # nothing is chosen beforehand
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_selector("text=Done: verified")
    context.close()

    context, page = signed_in(browser, live_server, registry.emails["ann"])
    page.goto(f"{live_server}/my")
    page.wait_for_selector("#my-hse .hse-result")
    assert re.search(r"\d+ of 50", page.locator("#my-hse").inner_text())
    assert axe_violations(page) == []
    context.close()


def kinds(uow_factory, attempt_id: int) -> list[str]:
    with uow_factory() as uow:
        return [e.kind for e in uow.hse_events.of_attempt(attempt_id)]
