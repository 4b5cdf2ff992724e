"""Reports of suspect cards: any checker reports, the issuing scheme's admins decide.

    report_suspect_card(...)   a checker (signed in or not) reports a card: a receipt back,
                               never the card's outcome
    open_reports(...)          the scheme's queue of reports waiting
    show_report(...)           one report, for the scheme's admins only
    report_photo(...)          the photo sent with it, for the scheme's admins only
    decide_report(...)         dismiss, or suspend or revoke the card through its lifecycle

A reporter is told the report was received, and nothing more: what becomes of someone else's
card is not theirs to read (no door gives a report to anyone but the scheme's admins).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, Role, can_manage_scheme, require
from skillcard.domain.audit import AuditEvent
from skillcard.domain.calendar import card_day
from skillcard.domain.suspect_reports import (
    DECISIONS,
    MAX_NOTE,
    ReportState,
    SuspectReport,
    new_receipt,
    report_details,
    suspect_reason,
)
from skillcard.errors import IllegalTransition, InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.ports.files import PhotoFiles
from skillcard.services.registry import cards
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

RECEIVED = "report received"


@dataclass(frozen=True)
class ReportReceipt:
    receipt: str
    message: str = RECEIVED


@dataclass(frozen=True)
class ReportView:
    """A report as the scheme's admins work it."""

    receipt: str
    scheme_code: str
    card_number: str
    on_record: bool  # a card with this number exists
    holder_name: str
    card_state: str
    reason: str
    details: str
    has_photo: bool
    reported_at: dt.datetime
    signed_in_reporter: bool
    state: str
    decided_at: dt.datetime | None
    decided_by: str
    decision_note: str


def report_suspect_card(
    *,
    uow: AbstractUnitOfWork,
    photos: PhotoFiles,
    who: Principal | None,
    number: str,
    scheme_code: str | None,
    reason: str,
    details: str = "",
    photo: bytes | None = None,
    now: dt.datetime | None = None,
) -> ReportReceipt:
    """Store a report of a card that looks wrong. The answer is the same whether the card is
    on record or not, so a report cannot be used to probe for card numbers."""
    why = suspect_reason(reason)
    details = report_details(details)
    now = now or utcnow()
    with uow:
        scheme, normalised = uow.schemes.resolve(number, scheme_code or None)
        card = uow.cards.by_number(scheme.id, normalised)
        # Checked (type, size, pixels) and stored before anything is written; refused: nothing.
        digest = photos.put(photo) if photo else None
        report = SuspectReport(
            receipt=new_receipt(),
            scheme_id=scheme.id,
            card_number=normalised,
            card_id=card.id if card else None,
            reason=why.value,
            details=details,
            reported_at=now,
            photo_sha256=digest,
            reporter_user_id=who.user_id if who else None,
        )
        uow.suspect_reports.add(report)
        uow.audit.append(
            AuditEvent(
                occurred_at=now,
                actor=who.label if who else "anonymous checker",
                action="suspect_report.receive",
                entity_type="suspect_report",
                entity_id=report.receipt,
                detail={"scheme": scheme.code, "card": normalised, "reason": why.value},
            )
        )
        if who is not None and who.user_id is not None:
            user = uow.users.get(who.user_id)
            if user is not None:
                queue_email(
                    uow,
                    to=user.email,
                    subject=f"Report {report.receipt} received",
                    body=(
                        f"Thank you. We received your report {report.receipt} about card "
                        f"{normalised}. The scheme that issued it will look into it. We do "
                        "not tell reporters what becomes of someone else's card."
                    ),
                    kind="suspect_report.received",
                    now=now,
                )
        uow.commit()
        return ReportReceipt(report.receipt)


def _view(uow: AbstractUnitOfWork, report: SuspectReport, today: dt.date) -> ReportView:
    scheme = on_record(uow.schemes.get(report.scheme_id), "the scheme")
    card = uow.cards.get(report.card_id) if report.card_id else None
    holder = uow.cardholders.get(card.cardholder_id) if card else None
    return ReportView(
        receipt=report.receipt,
        scheme_code=scheme.code,
        card_number=report.card_number,
        on_record=card is not None,
        holder_name=holder.full_name if holder else "",
        card_state=str(card.state_on(today)) if card else "",
        reason=report.reason,
        details=report.details,
        has_photo=report.photo_sha256 is not None,
        reported_at=report.reported_at,
        signed_in_reporter=report.reporter_user_id is not None,
        state=report.state,
        decided_at=report.decided_at,
        decided_by=report.decided_by,
        decision_note=report.decision_note,
    )


def _load(uow: AbstractUnitOfWork, who: Principal, receipt: str) -> SuspectReport:
    report = uow.suspect_reports.by_receipt((receipt or "").strip().upper()[:20])
    if report is None or not can_manage_scheme(who, report.scheme_id):
        # The same answer for another scheme's report as for none: no probing for receipts.
        raise NotFound(f"no report {receipt} that you can see")
    return report


def open_reports(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str | None = None,
    today: dt.date | None = None,
) -> list[ReportView]:
    """The reports of the admin's scheme still waiting, oldest first."""
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "work reports of suspect cards")
    with uow:
        if scheme_code:
            scheme = scheme_named(uow, scheme_code)
            require(can_manage_scheme(who, scheme.id), f"work {scheme.code}'s reports")
            scheme_ids = [scheme.id]
        elif who.is_hub_admin:
            scheme_ids = [s.id for s in uow.schemes.list()]
        else:
            scheme_ids = [on_record(who.scheme_id, "your scheme")]
        day = today or card_day(utcnow())
        return [
            _view(uow, report, day)
            for scheme_id in scheme_ids
            for report in uow.suspect_reports.open_of_scheme(scheme_id)
        ]


def show_report(
    *, uow: AbstractUnitOfWork, who: Principal, receipt: str, today: dt.date | None = None
) -> ReportView:
    with uow:
        return _view(uow, _load(uow, who, receipt), today or card_day(utcnow()))


def report_photo(
    *, uow: AbstractUnitOfWork, photos: PhotoFiles, who: Principal, receipt: str
) -> bytes:
    with uow:
        report = _load(uow, who, receipt)
    data = photos.get(report.photo_sha256) if report.photo_sha256 else None
    if data is None:
        raise NotFound("this report came with no photo")
    return data


def decide_report(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    receipt: str,
    action: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> ReportView:
    """Close an open report: ``dismiss`` it, or ``suspend`` or ``revoke`` its card (through
    the card's own lifecycle, audited there), the decision audited on the report."""
    now = now or utcnow()
    if action not in DECISIONS:
        raise InvalidInput(f"a report is dealt with by one of: {', '.join(DECISIONS)}")
    if len(note.strip()) > MAX_NOTE:  # refused before the card is touched
        raise InvalidInput(f"a note is at most {MAX_NOTE} characters", field="note")
    with uow:
        report = _load(uow, who, receipt)
        if report.state != ReportState.OPEN:
            raise IllegalTransition(f"report {report.receipt} was already {report.state}")
        card = uow.cards.get(report.card_id) if report.card_id else None
    if action != "dismiss":
        if card is None:
            raise IllegalTransition(
                "there is no such card on record: the report can only be dismissed"
            )
        change = cards.suspend_card if action == "suspend" else cards.revoke_card
        why = f"suspect card report {report.receipt}" + (
            f": {note.strip()}" if note.strip() else ""
        )
        change(uow=uow, who=who, number=card.number, scheme_code=None, reason=why[:500], now=now)
    with uow:
        report = _load(uow, who, receipt)
        report.decide(action, by=who.label, note=note, now=now)
        record(
            uow,
            who,
            f"suspect_report.{action}",
            "suspect_report",
            report.receipt,
            reason=report.decision_note,
            now=now,
            detail={"card": report.card_number},
        )
        uow.commit()
        return _view(uow, report, card_day(now))
