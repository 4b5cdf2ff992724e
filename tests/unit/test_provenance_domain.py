"""The rules of card provenance and of suspect card reports (issue 17 items 4 and 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain.cards import Action, CardStatus, revocation_reason, statuses_allowing
from skillcard.domain.provenance import Source, SourceKind, hse_source, numbers_digest
from skillcard.domain.suspect_reports import (
    ReportState,
    SuspectReport,
    new_receipt,
    report_details,
    suspect_reason,
)
from skillcard.errors import IllegalTransition, InvalidInput

NOW = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)


def test_a_source_has_one_spelling():
    assert Source.of(" Test_Centre ", " tc-0042 ", "  Northgate   Centre ") == Source(
        SourceKind.TEST_CENTRE, "TC-0042", "Northgate Centre"
    )
    assert Source.of("import", "ecs  batch 7").reference == "ECS BATCH 7"


@pytest.mark.parametrize(
    ("kind", "reference", "field"),
    [
        ("exam_hall", "TC-1", "kind"),
        ("", "TC-1", "kind"),
        ("test_centre", "", "ref"),
        ("test_centre", "-TC", "ref"),
        ("test_centre", "TC<1>", "ref"),
        ("test_centre", "T" * 61, "ref"),
    ],
)
def test_a_bad_source_is_refused_naming_the_field(kind, reference, field):
    with pytest.raises(InvalidInput) as refused:
        Source.of(kind, reference)
    assert refused.value.field == field


def test_the_hse_pass_names_the_attempt_or_the_admins_entry():
    assert hse_source(attempt_id=7, record_id=3, passed_on="2026-01-02").reference == (
        "HSE-ATTEMPT-7"
    )
    entry = hse_source(attempt_id=None, record_id=3, passed_on="2026-01-02")
    assert (entry.kind, entry.reference) == (SourceKind.ASSESSMENT, "HSE-ENTRY-3")


def test_the_digest_does_not_depend_on_order():
    assert numbers_digest(["B", "A"]) == numbers_digest(["A", "B"]) != numbers_digest(["A"])


def test_mass_revocation_selects_what_one_revocation_allows():
    assert set(statuses_allowing(Action.REVOKE)) == {CardStatus.ACTIVE, CardStatus.SUSPENDED}
    assert revocation_reason("  fraud ") == "fraud"
    with pytest.raises(InvalidInput, match="reason is required"):
        revocation_reason("  ")


def _report(card_id: int | None = 1) -> SuspectReport:
    return SuspectReport(
        receipt=new_receipt(),
        scheme_id=1,
        card_number="ECS1",
        card_id=card_id,
        reason=suspect_reason("Photo_Mismatch").value,
        details=report_details(" looks older "),
        reported_at=NOW,
    )


def test_a_report_is_decided_once():
    report = _report()
    assert report.details == "looks older"
    assert report.decide("suspend", by="admin", note="", now=NOW) is ReportState.SUSPENDED
    with pytest.raises(IllegalTransition, match="already suspended"):
        report.decide("dismiss", by="admin", note="", now=NOW)


def test_a_report_of_no_card_can_only_be_dismissed():
    with pytest.raises(IllegalTransition):
        _report(None).decide("revoke", by="admin", note="", now=NOW)
    assert _report(None).decide("dismiss", by="a", note="n", now=NOW) is ReportState.DISMISSED


def test_bad_report_input_is_refused():
    with pytest.raises(InvalidInput, match="photo_mismatch"):
        suspect_reason("ugly")
    with pytest.raises(InvalidInput, match="1000"):
        report_details("x" * 1001)
    with pytest.raises(InvalidInput):
        _report().decide("shred", by="a", note="", now=NOW)
    receipts = {new_receipt() for _ in range(100)}
    assert len(receipts) == 100 and all(len(r) == 13 for r in receipts)
