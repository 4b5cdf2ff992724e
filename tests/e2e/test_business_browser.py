"""Business Check in Debian's headless Chromium (issue 4): register, confirm by the link in the
outbox, add a worker, bulk-check a CSV and download the result, download the audit PDF and
read it back; every page passes axe-core."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.e2e.browser_support import axe_violations, fill_sign_in, sign_in, sqlite_database_url
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
database_url = sqlite_database_url


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_business_registers_adds_a_worker_bulk_checks_and_reads_its_report(
    live_server, page, registry, tmp_path
):
    page.goto(f"{live_server}/business/register")
    assert axe_violations(page) == []
    page.get_by_label("Business name").fill("Ó Súilleabháin Builders")
    page.get_by_label("Company registration number").fill("NI123456")
    page.get_by_label("Business address").fill("2 Quay Street\nBelfast")
    page.get_by_label("Your name").fill("Orla")
    page.get_by_label("Your e-mail address").fill("orla@builders.test")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.wait_for_selector("text=Check your e-mail")
    assert axe_violations(page) == []

    page.goto(f"{live_server}/outbox")
    link = page.locator(".mail-body a", has_text="/business/confirm/").first.inner_text()
    page.goto(live_server + link[link.index("/business/confirm/") :])
    page.wait_for_selector("text=Registration confirmed")
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    fill_sign_in(page, "orla@builders.test")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/business")
    assert axe_violations(page) == []

    page.get_by_label("Card number").fill(registry.cards["ann"])
    page.get_by_label("Surname on the card").fill("nunez o'brien")
    page.get_by_label("Site or project (optional)").fill("Titanic Quarter")
    page.get_by_role("button", name="Add worker").click()
    page.wait_for_selector("text=The worker was added")
    assert "Ann Núñez-O'Brien" in page.locator(".workers").inner_text()
    assert page.locator(".state-counts .valid .count").inner_text() == "1"
    assert axe_violations(page) == []
    _no_sideways_scroll(page)

    upload = tmp_path / "staff.csv"
    upload.write_text(
        f"number,surname,label\n{registry.cards['bob']},Smith,=cmd\n{registry.cards['cy']},Nobody,\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="Bulk check").click()
    assert axe_violations(page) == []
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check").click()
    download_link = page.locator("#download")
    download_link.wait_for(timeout=15_000)  # htmx polls the job until it is done
    assert axe_violations(page) == []
    with page.expect_download() as info:
        download_link.click()
    result = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(result)))
    assert [r["outcome"] for r in rows] == ["valid", "no_match"]
    assert rows[0]["label"] == "'=cmd" and rows[0]["holder_name"] == "Bob Smith"

    page.get_by_role("link", name="Reports").click()
    assert "Checks by outcome" in page.content()
    assert axe_violations(page) == []
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    reader = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Ó Súilleabháin Builders" in text and "Bob Smith" in text and "No card matches" in text


def test_a_check_made_without_signal_is_kept_and_sent_when_back_online(
    live_server, page, registry, uow_factory
):
    from skillcard.services.business import business_checks
    from tests.integration.test_business import register

    _, admin = register(uow_factory)
    sign_in(page, live_server, "boss@acme.test", "/business/check")
    assert axe_violations(page) == []
    page.context.set_offline(True)
    page.get_by_label("Card number").fill(registry.cards["bob"])
    page.get_by_label("Surname on the card").fill("Smith")
    page.get_by_label("This is a spot check on site").check()
    page.get_by_label("Site (for a spot check)").fill("Basement")
    page.get_by_label("Yes, it matches").check()
    page.get_by_role("button", name="Check card").click()
    page.wait_for_selector("text=No signal")
    assert business_checks.history(uow=uow_factory(), who=admin) == []
    page.context.set_offline(False)  # the page sends its queue when the network is back
    page.wait_for_selector("text=were recorded")
    [kept] = business_checks.history(uow=uow_factory(), who=admin)
    assert (kept.method, kept.outcome, kept.site, kept.face_confirmed) == (
        "offline",
        "valid",
        "Basement",
        True,
    )
    assert kept.synced_at is not None


def test_the_webhook_page_refuses_a_private_address_and_shows_a_failed_delivery(
    live_server, page, registry, uow_factory, tmp_path
):
    """Issue 14: on a phone, the admin sees why an address is refused and how the last
    delivery went; both states pass axe-core."""
    import datetime as dt

    from skillcard.services.business import webhooks
    from tests.integration.test_business import register
    from tests.webhook_receiver import Receiver

    business_id, admin = register(uow_factory)
    sign_in(page, live_server, "boss@acme.test", landing="/business")
    page.get_by_role("link", name="Webhook").click()
    page.get_by_label("Your system's address").fill("https://0x7f000001/hook")
    page.get_by_role("button", name="Save the address").click()
    page.wait_for_selector("text=There is a problem")
    assert "not a public internet address" in page.locator(".error-summary").inner_text()
    assert axe_violations(page) == []
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "webhook-refused.png"), full_page=True)

    receiver = Receiver(tmp_path)
    try:
        webhooks.set_webhook(
            uow=uow_factory(), who=admin, url=receiver.url(), vet=receiver.vetter()
        )
        receiver.status = 500
        now = dt.datetime.now(dt.UTC)
        with uow_factory() as uow:
            webhooks.queue_delivery(
                uow, business_id=business_id, event="alerts.digest", payload={}, now=now
            )
            uow.commit()
        webhooks.deliver_due(uow_factory, receiver.poster(), now=now)
    finally:
        receiver.close()
    page.goto(f"{live_server}/business/webhook")
    shown = page.locator("#delivery").inner_text()
    assert "HTTP 500" in shown and "tried again" in shown
    assert axe_violations(page) == []
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "webhook-failed.png"), full_page=True)
