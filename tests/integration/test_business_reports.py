"""Audit reports and expiry alerts of Business Check (issue 4), on both databases."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader

from skillcard.domain.business import webhook_signature
from skillcard.errors import InvalidInput
from skillcard.services.audit import audit
from skillcard.services.business import alerts, business_checks, reports, webhooks, workforce
from skillcard.services.registry import cards
from tests.factories import OPERATOR, business_budget
from tests.integration.test_business import URL, register
from tests.webhook_receiver import Receiver

BUDGET = business_budget()


def test_pdf_and_csv_reports_list_the_checks_and_are_logged(uow_factory, registry):
    business_id, admin = register(uow_factory, name="Ó Súilleabháin & Sons")
    for surname in ("Núñez-O'Brien", "Wrong"):
        business_checks.check_for_business(
            budget=BUDGET,
            uow=uow_factory(),
            who=admin,
            number=registry.cards["ann"],
            surname=surname,
        )
    today = dt.date.today()
    report = reports.build_report(uow=uow_factory(), who=admin, start=today, end=today, form="pdf")
    assert report.total == 2 and report.by_outcome == {"no_match": 1, "valid": 1}
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(reports.report_pdf(report))).pages
    )
    for expected in ("Ó Súilleabháin & Sons", "Checks by outcome", "Ann Núñez-O'Brien"):
        assert expected in text
    # issue 19: words a person reads, the checker column whole, times with their zone
    assert "No card matches: 1" in text and "Single check: 2" in text
    assert "no_match" not in text and "no match" not in text and "Outcome no" not in text
    assert admin.label in text and "…" not in text
    assert "UTC" not in text and (" GMT" in text or " BST" in text)
    csv_text = reports.report_csv(report)
    assert csv_text.splitlines()[0].startswith("checked_at,method,outcome")
    assert "Ann Núñez-O'Brien" in csv_text and len(csv_text.splitlines()) == 3
    events = audit.history(uow=uow_factory(), entity_type="business", entity_id=business_id)
    assert [e.action for e in events if e.action.startswith("report.")] == ["report.pdf"]
    old = reports.build_report(
        uow=uow_factory(),
        who=admin,
        start=today - dt.timedelta(days=9),
        end=today - dt.timedelta(days=1),
    )
    assert old.total == 0
    with pytest.raises(InvalidInput, match="after the end"):
        reports.period("2026-05-02", "2026-05-01", today)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        reports.period("yesterday", None, today)


def test_alert_digest_is_sent_once_per_step_and_webhooks_are_signed(
    uow_factory, registry, tmp_path
):
    _business_id, admin = register(uow_factory)
    for key, surname in (("ann", "Nunez-OBrien"), ("bob", "Smith"), ("cy", "Jones")):
        workforce.add_worker(
            budget=BUDGET,
            uow=uow_factory(),
            who=admin,
            number=registry.cards[key],
            surname=surname,
            label=key,
        )
    receiver = Receiver(tmp_path)
    secret = webhooks.set_webhook(
        uow=uow_factory(), who=admin, url=receiver.url(), vet=receiver.vetter()
    )
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="x")
    expires = dt.date.today() + dt.timedelta(days=3 * 365)  # roughly: 36 months from today
    near = expires - dt.timedelta(days=80)

    def run(day):
        return alerts.run_alerts(
            uow_factory=uow_factory,
            who=OPERATOR,
            public_url=URL,
            post=receiver.poster(),
            today=day,
        )

    first = run(near)
    # two bodies: the suspension's card.changes (the change feed, in order, first) and the digest
    assert (first.emails, first.items, first.webhooks) == (1, 3, 2)
    with uow_factory() as uow:
        digest = uow.outbox.recent(1, to_address="boss@acme.test")[0]
    assert "Suspended: Bob Smith (bob)" in digest.body
    assert "Expiring within 90 days: Ann Núñez-O'Brien (ann)" in digest.body
    assert run(near).emails == 0  # twice: nothing twice
    assert run(near + dt.timedelta(days=1)).emails == 0
    later = run(expires - dt.timedelta(days=50))  # the 60-day step is news
    assert later.emails == 1 and later.items == 2
    receiver.close()
    assert json.loads(receiver.received[0][2])["event"] == "card.changes"
    _path, headers, body = receiver.received[1]
    signature = headers["X-Skillcard-Signature"]
    assert signature == webhook_signature(secret, body)
    assert {a["state"] for a in json.loads(body)["alerts"]} == {"expiring_90", "suspended"}
