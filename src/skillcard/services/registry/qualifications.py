"""Qualifications and institute memberships a holder declares, and the scheme's review of them.

A holder adds a qualification by its certificate number or by uploading the certificate; it is
"self-declared" until a scheme admin or assessor verifies it, or rejects it with a reason. A
PQP card rests on membership of a recognised institute at a qualifying grade: the number must
match the institute's format, and an admin verifies it. A lapsed membership makes the holder's
PQP card suspendable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from skillcard.adapters.evidence_store import check_evidence
from skillcard.domain.accounts import Principal, Role, require, tied
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import CardStatus
from skillcard.domain.people import HeldQualification, Membership
from skillcard.domain.qualification_reviews import QualificationReview
from skillcard.domain.schemes import CardCategory
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.clock import card_today
from skillcard.services.mycard.cpd import add_evidence, scheme_ids_related
from skillcard.services.ports.files import EvidenceFiles
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


@dataclass(frozen=True)
class PendingQualification:
    held: HeldQualification
    title: str
    holder_name: str
    evidence: list[Any]


def _may_review(uow: AbstractUnitOfWork, who: Principal, cardholder_id: int) -> bool:
    if who.is_hub_admin:
        return True
    if who.role in (Role.SCHEME_ADMIN, Role.ASSESSOR):
        return who.scheme_id in scheme_ids_related(uow, cardholder_id)
    return False


def declare_qualification(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    store: EvidenceFiles,
    qualification_code: str,
    achieved_on: dt.date,
    certificate_number: str = "",
    files: Sequence[tuple[str, bytes]] = (),
    now: dt.datetime | None = None,
) -> int:
    """A holder adds a qualification (self-declared) with a certificate number or file."""
    now = now or utcnow()
    require(who.role == Role.CARDHOLDER and who.cardholder_id, "declare a qualification")
    number = " ".join((certificate_number or "").split())[:100]
    if not number and not files:
        raise InvalidInput("give the certificate number, or upload the certificate")
    if achieved_on > card_day(now):
        raise InvalidInput("a qualification cannot be achieved in the future")
    for name, data in files:
        check_evidence(data, name)
    with uow:
        code = (qualification_code or "").strip().upper()
        if uow.reference.qualification(code) is None:
            raise NotFound(f"there is no qualification {qualification_code!r}")
        held = HeldQualification(
            tied(who.cardholder_id, "a cardholder"), code, achieved_on, number, verified=False
        )
        uow.cardholders.add(held)
        uow.qualification_reviews.add(QualificationReview(held_qualification_id=held.id))
        for name, data in files:
            add_evidence(
                uow, store, held.cardholder_id, name, data, now, held_qualification_id=held.id
            )
        record(
            uow,
            who,
            "qualification.declare",
            "cardholder",
            who.cardholder_id,
            now=now,
            detail={"qualification": code, "held": held.id, "files": len(files)},
        )
        uow.commit()
        return held.id


def pending_qualifications(
    *, uow: AbstractUnitOfWork, who: Principal
) -> list[PendingQualification]:
    require(who.role in (Role.SCHEME_ADMIN, Role.ASSESSOR, Role.HUB_ADMIN), "review qualifications")
    with uow:
        found = uow.qualification_reviews.pending(None if who.is_hub_admin else who.scheme_id)
        files = uow.evidence.of_qualifications([h.id for h in found])
        out = []
        for held in found:
            q = uow.reference.qualification(held.qualification_code)
            out.append(
                PendingQualification(
                    held=held,
                    title=q.title if q else held.qualification_code,
                    holder_name=on_record(
                        uow.cardholders.get(held.cardholder_id), "the cardholder"
                    ).full_name,
                    evidence=[f for f in files if f.held_qualification_id == held.id],
                )
            )
        return out


def review_qualification(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    held_id: int,
    verified: bool,
    reason: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Verify a declared qualification, or reject it with a reason."""
    now = now or utcnow()
    with uow:
        held = uow.qualification_reviews.held(held_id)
        if held is None or not _may_review(uow, who, held.cardholder_id):
            raise NotFound(f"no declared qualification {held_id} that you can review")
        review = uow.qualification_reviews.for_held([held.id]).get(held.id)
        if review is None:
            review = QualificationReview(held_qualification_id=held.id)
            uow.qualification_reviews.add(review)
        review.decide(verified=verified, reason=reason, by=who.label, now=now)
        held.verified = verified
        record(
            uow,
            who,
            "qualification.verify" if verified else "qualification.reject",
            "cardholder",
            held.cardholder_id,
            now=now,
            reason=review.reason,
            detail={"qualification": held.qualification_code, "held": held.id},
        )
        uow.commit()


def declare_membership(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    institute_code: str,
    number: str,
    grade: str,
    now: dt.datetime | None = None,
) -> int:
    """A holder registers their institute membership for a PQP card (checked, unverified)."""
    now = now or utcnow()
    require(who.role == Role.CARDHOLDER and who.cardholder_id, "declare a membership")
    with uow:
        code = (institute_code or "").strip().upper()
        institute = next((i for i in uow.reference.institutes() if i.code == code), None)
        if institute is None:
            raise NotFound(f"{institute_code!r} is not a recognised institute")
        number = institute.check_membership_number(number or "")
        grade = " ".join((grade or "").split())
        if institute.qualifying_grades and grade not in institute.qualifying_grades:
            raise InvalidInput(
                f"{grade or 'that grade'} is not a professionally qualified grade of {code}: "
                f"one of {', '.join(institute.qualifying_grades)}"
            )
        membership = Membership(
            tied(who.cardholder_id, "a cardholder"), code, number, grade or "Member"
        )
        uow.cardholders.add(membership)
        record(
            uow,
            who,
            "membership.declare",
            "cardholder",
            who.cardholder_id,
            now=now,
            detail={"institute": code, "number": number, "grade": membership.grade},
        )
        uow.commit()
        return membership.id


def _membership(uow: AbstractUnitOfWork, who: Principal, membership_id: int) -> Membership:
    found = uow.pqp_memberships.get(membership_id)
    if found is None or not _may_review(uow, who, found.cardholder_id):
        raise NotFound(f"no membership {membership_id} that you can review")
    return found


def verify_membership(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    membership_id: int,
    now: dt.datetime | None = None,
) -> None:
    now = now or utcnow()
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "verify memberships")
    with uow:
        m = _membership(uow, who, membership_id)
        m.verified = True
        record(
            uow,
            who,
            "membership.verify",
            "cardholder",
            m.cardholder_id,
            now=now,
            detail={"institute": m.institute_code, "number": m.number},
        )
        uow.commit()


def lapse_membership(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    membership_id: int,
    lapsed_on: dt.date,
    now: dt.datetime | None = None,
) -> list[str]:
    """Record that a membership lapsed; the numbers of the PQP cards now suspendable."""
    now = now or utcnow()
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "record a lapsed membership")
    with uow:
        m = _membership(uow, who, membership_id)
        m.lapsed_on = lapsed_on
        record(
            uow,
            who,
            "membership.lapse",
            "cardholder",
            m.cardholder_id,
            now=now,
            detail={"institute": m.institute_code, "lapsed_on": lapsed_on.isoformat()},
        )
        suspendable = _suspendable_pqp_cards(uow, m.cardholder_id, card_day(now))
        uow.commit()
        return suspendable


def suspendable_after_lapse(
    *, uow: AbstractUnitOfWork, who: Principal, membership_id: int, today: dt.date | None = None
) -> list[str]:
    """The PQP cards that may be suspended now that membership ``membership_id`` has lapsed
    (none while the holder has another current membership), for the page after the lapse."""
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "record a lapsed membership")
    with uow:
        m = _membership(uow, who, membership_id)
        today = today or card_today()
        if m.lapsed_on is None or m.lapsed_on > today:
            return []
        return _suspendable_pqp_cards(uow, m.cardholder_id, today)


def _suspendable_pqp_cards(
    uow: AbstractUnitOfWork, cardholder_id: int, today: dt.date
) -> list[str]:
    current = [
        m
        for m in uow.cardholders.memberships_of(cardholder_id)
        if m.verified and (m.lapsed_on is None or m.lapsed_on > today)
    ]
    if current:
        return []
    numbers = []
    for card in uow.cards.of_cardholder(cardholder_id):
        card_type = on_record(uow.card_types.get(card.card_type_id), "the card type")
        if CardStatus(card.status) == CardStatus.ACTIVE and card_type.category == CardCategory.PQP:
            numbers.append(card.number)
    return numbers
