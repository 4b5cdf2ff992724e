"""Password pages in Debian's headless Chromium at a phone's width (issue 14): change your own
from the header's link, then forget it and reset it by the e-mailed link; every page passes
axe-core and fits 390 px. Screenshots go to the test's tmp_path (see --basetemp)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser_support import axe_violations, sign_in, sqlite_database_url

pytestmark = pytest.mark.browser
database_url = sqlite_database_url
NEW, NEWER = "a brand new passphrase", "an even newer passphrase"


def _looks_right(page, shot) -> None:
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shot, full_page=True)


def test_change_then_forget_and_reset_a_password(
    live_server, page, registry, uow_factory, tmp_path
):
    email = registry.emails["ann"]
    sign_in(page, live_server, email)
    page.get_by_role("link", name="Change password").click()
    page.wait_for_selector("h1:text('Change your password')")
    _looks_right(page, tmp_path / "password_change.png")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_selector("text=There is a problem")
    _looks_right(page, tmp_path / "password_change_error.png")
    page.get_by_label("Current password").fill("correct horse battery")
    page.get_by_label("New password").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_selector("text=Your password is changed")
    _looks_right(page, tmp_path / "password_changed.png")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Forgot your password?").click()
    _looks_right(page, tmp_path / "password_forgot.png")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_selector("text=Check your e-mail")
    _looks_right(page, tmp_path / "password_forgot_sent.png")

    with uow_factory(read_only=True) as uow:
        (message,) = uow.outbox.recent(5, to_address=email)
    link = re.search(r"http\S+/password/reset/(\S+)", message.body).group(1)
    page.goto(f"{live_server}/password/reset/{link}")
    page.get_by_label("New password").fill("Qwerty123456")
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_selector("text=There is a problem")
    _looks_right(page, tmp_path / "password_reset_error.png")
    page.get_by_label("New password").fill(NEWER)
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_selector("text=Your password is changed")
    _looks_right(page, tmp_path / "password_reset_done.png")
    page.goto(f"{live_server}/password/reset/{link}")
    page.wait_for_selector("text=That link did not work")
    _looks_right(page, tmp_path / "password_reset_used.png")


def test_a_hub_admin_forces_a_reset_from_a_phone(live_server, page, registry, tmp_path):
    sign_in(page, live_server, registry.emails["hub"], landing="/admin/cards")
    page.get_by_role("link", name="Force a password reset").click()
    page.wait_for_selector("h1:text('Force a password reset')")
    _looks_right(page, tmp_path / "password_force.png")
    page.get_by_label("Their e-mail address").fill(registry.emails["bob"])
    page.get_by_role("button", name="Reset their password").click()
    page.wait_for_selector("text=Password reset for")
    _looks_right(page, tmp_path / "password_forced.png")
