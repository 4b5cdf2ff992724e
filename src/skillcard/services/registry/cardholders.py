"""Cardholders: registering them and reading their record (cards, qualifications, memberships)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, Role, can_view_cardholder, require
from skillcard.domain.calendar import card_day
from skillcard.domain.people import Cardholder, HeldQualification, Membership
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.clock import card_today
from skillcard.services.registry.cards import CardView, describe
from skillcard.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class HeldQualificationView:
    code: str
    title: str
    achieved_on: dt.date
    certificate_number: str
    verified: bool
    tags: tuple[str, ...]


@dataclass(frozen=True)
class CardholderRecord:
    id: int
    given_names: str
    surname: str
    full_name: str
    date_of_birth: dt.date | None
    email: str | None
    cards: list[CardView]
    qualifications: list[HeldQualificationView]
    memberships: list[Membership]


def _can_register(who: Principal) -> bool:
    return who.is_hub_admin or who.role == Role.SCHEME_ADMIN


def register_cardholder(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    given_names: str,
    surname: str,
    date_of_birth: dt.date | None = None,
    email: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    require(_can_register(who), "register cardholders")
    now = now or utcnow()
    if date_of_birth and not dt.date(1900, 1, 1) <= date_of_birth <= card_day(now):
        raise InvalidInput("the date of birth must be a real past date")
    with uow:
        holder = Cardholder(
            given_names=given_names, surname=surname, date_of_birth=date_of_birth, email=email
        )
        uow.cardholders.add(holder)
        record(
            uow,
            who,
            "cardholder.register",
            "cardholder",
            holder.id,
            now=now,
            detail={"name": holder.full_name},
        )
        uow.commit()
        return holder.id


def _visible_holder(uow: AbstractUnitOfWork, who: Principal, cardholder_id: int) -> Cardholder:
    holder = uow.cardholders.get(cardholder_id)
    schemes = uow.cards.scheme_ids_of_cardholder(cardholder_id) if holder else set()
    if holder is None or not can_view_cardholder(who, cardholder_id, schemes):
        raise NotFound(f"no cardholder {cardholder_id} that you can see")
    return holder


def cardholder_record(
    *, uow: AbstractUnitOfWork, who: Principal, cardholder_id: int, today: dt.date | None = None
) -> CardholderRecord:
    """A cardholder's whole record; a scheme admin sees only their own scheme's cards in it."""
    day = today or card_today()
    with uow:
        holder = _visible_holder(uow, who, cardholder_id)
        cards = [
            describe(uow, card, day)
            for card in uow.cards.of_cardholder(holder.id)
            if who.role != Role.SCHEME_ADMIN or card.scheme_id == who.scheme_id
        ]
        quals = []
        for held in uow.cardholders.qualifications_of(holder.id):
            q = uow.reference.qualification(held.qualification_code)
            quals.append(
                HeldQualificationView(
                    code=held.qualification_code,
                    title=q.title if q else held.qualification_code,
                    achieved_on=held.achieved_on,
                    certificate_number=held.certificate_number,
                    verified=held.verified,
                    tags=q.tags if q else (),
                )
            )
        return CardholderRecord(
            id=holder.id,
            given_names=holder.given_names,
            surname=holder.surname,
            full_name=holder.full_name,
            date_of_birth=holder.date_of_birth,
            email=holder.email,
            cards=cards,
            qualifications=quals,
            memberships=uow.cardholders.memberships_of(holder.id),
        )


def add_qualification(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    cardholder_id: int,
    qualification_code: str,
    achieved_on: dt.date,
    certificate_number: str = "",
    now: dt.datetime | None = None,
) -> None:
    """A holder declares a qualification (self-declared); a scheme admin's entry is verified."""
    now = now or utcnow()
    if achieved_on > card_day(now):
        raise InvalidInput("a qualification cannot be achieved in the future")
    with uow:
        _visible_holder(uow, who, cardholder_id)
        if uow.reference.qualification(qualification_code) is None:
            raise NotFound(f"there is no qualification {qualification_code!r}")
        verified = who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN)
        held = HeldQualification(
            cardholder_id=cardholder_id,
            qualification_code=qualification_code,
            achieved_on=achieved_on,
            certificate_number=certificate_number.strip()[:100],
            verified=verified,
        )
        uow.cardholders.add(held)
        record(
            uow,
            who,
            "qualification.add",
            "cardholder",
            cardholder_id,
            now=now,
            detail={"qualification": qualification_code, "verified": verified},
        )
        uow.commit()
