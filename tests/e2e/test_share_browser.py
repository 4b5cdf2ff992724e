"""Share links in Debian's headless Chromium at a phone's width (issue 18, item 3): the holder
shares an achievement from MyCard, a stranger opens its public page (axe-core finds nothing, no
sideways scroll, the QR is readable and leads back to the page), the holder sees the view on
their record, revokes the link, and the page then answers 410."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from skillcard.adapters.qr import read_qr
from tests.e2e.browser_support import PHONE, axe_violations, chromium, sign_in, sqlite_database_url
from tests.mycard_support import qualify_ann

pytestmark = pytest.mark.browser
database_url = sqlite_database_url
AM2 = "AM2 assessment of occupational competence (electrotechnical)"
SCREENSHOTS = Path(os.environ.get("SKILLCARD_SCREENSHOTS", "/tmp/skillcard-screenshots"))


@pytest.fixture
def live_server(live_server, mycard):
    """The shared live server, over the registry plus the shipped reference data."""
    return live_server


def test_a_holder_shares_an_achievement_and_a_stranger_sees_its_page(
    live_server, registry, uow_factory
):
    qualify_ann(uow_factory, registry, ["AM2"], dt.date.today() - dt.timedelta(days=200))
    with chromium() as browser:
        holder = browser.new_context(viewport=PHONE).new_page()
        sign_in(holder, live_server, registry.emails["ann"], "/my")
        holder.get_by_role("link", name="Share a card or an achievement").click()
        holder.wait_for_url("**/my/shares")
        assert axe_violations(holder) == []
        holder.get_by_label("What to share").select_option(label=AM2)
        holder.get_by_label("Days the link lasts").fill("30")
        holder.get_by_role("button", name="Make a share link").click()
        holder.wait_for_selector("text=Your share link was made.")
        assert axe_violations(holder) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        holder.screenshot(path=str(SCREENSHOTS / "my-shares-390.png"), full_page=True)
        link = holder.locator(".share-url a").first.get_attribute("href")

        stranger = browser.new_context(viewport=PHONE).new_page()
        answer = stranger.goto(f"{live_server}{link}")
        assert answer.status == 200
        assert stranger.get_by_role("heading", level=1).inner_text() == AM2
        assert stranger.locator(".shared-state").inner_text().startswith("Valid")
        assert axe_violations(stranger) == []
        assert stranger.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot = stranger.screenshot(path=str(SCREENSHOTS / "shared-page-390.png"), full_page=True)
        (code,) = read_qr(stranger.locator(".shared-qr").screenshot())
        assert code.text.endswith(link)
        linkedin = stranger.get_by_role("link", name="Add to LinkedIn profile")
        assert linkedin.get_attribute("href").startswith("https://www.linkedin.com/profile/add?")
        with stranger.expect_download() as download:
            stranger.get_by_role("link", name="Download the credential").click()
        assert download.value.suggested_filename.endswith(".jwt")
        assert len(shot) > 10_000

        holder.goto(f"{live_server}/my")
        assert "Viewed once" in holder.locator("#shared ~ .share-links").inner_text()
        holder.goto(f"{live_server}/my/shares")
        holder.get_by_role("button", name=f"Revoke the link to {AM2}").click()
        holder.wait_for_selector("text=The link was revoked.")
        assert axe_violations(holder) == []

        assert stranger.goto(f"{live_server}{link}").status == 410
        assert axe_violations(stranger) == []
