"""A holder's achievements that may leave skillcard as Open Badges: each verified
qualification, each HSE pass, and a year's verified CPD; and whether one still stands.

An achievement is named by a key (``qualification-12``, ``hse-3``, ``cpd-2026``), which is how
the holder asks for its badge or a share link. Its standing is read from the record it stands
for, at the time it is asked (one rule, here): a qualification stands while it is held and
verified; an HSE pass while its record is kept (its end date is the badge's own ``validUntil``);
a year's CPD while the verified hours of that year are at least those the badge states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.cpd import VERIFIED
from skillcard.errors import NotFound
from skillcard.services.ports.open_credentials import BadgeEntry
from skillcard.services.unit_of_work import AbstractUnitOfWork

KINDS = ("qualification", "hse", "cpd")


@dataclass(frozen=True)
class Achievement:
    key: str
    kind: str
    subject: str
    name: str
    description: str
    criteria: str
    achieved_on: dt.date
    valid_until: dt.date | None = None
    minutes: int | None = None  # a year's CPD: the verified minutes


def of_holder(uow: AbstractUnitOfWork, cardholder_id: int, today: dt.date) -> list[Achievement]:
    """What the holder may export now (inside the caller's transaction)."""
    found: list[Achievement] = []
    for held in uow.cardholders.qualifications_of(cardholder_id):
        if held.verified:
            q = uow.reference.qualification(held.qualification_code)
            title = q.title if q else held.qualification_code
            body = f" awarded by {q.awarding_body}" if q and q.awarding_body else ""
            found.append(
                Achievement(
                    f"qualification-{held.id}",
                    "qualification",
                    str(held.id),
                    title,
                    f"{title}{body}, its certificate checked by a card scheme.",
                    "A card scheme's assessor or administrator checked the holder's certificate.",
                    held.achieved_on,
                )
            )
    for hse in uow.hse_records.of_cardholder(cardholder_id):
        found.append(
            Achievement(
                f"hse-{hse.id}",
                "hse",
                str(hse.id),
                "Health, safety and environment test",
                "Passed the construction health, safety and environment test.",
                "Passed the timed, invigilated multiple-choice test at the pass mark.",
                hse.passed_on,
                hse.valid_until,
            )
        )
    minutes = _verified_cpd_minutes(uow, cardholder_id, today.year)
    if minutes:
        found.append(_cpd(today.year, minutes))
    return found


def _cpd(year: int, minutes: int) -> Achievement:
    hours = f"{minutes / 60:g}"
    return Achievement(
        f"cpd-{year}",
        "cpd",
        str(year),
        f"{hours} hours of verified CPD in {year}",
        f"Continuing professional development in {year}: {hours} hours, each activity "
        "checked by a card scheme against its evidence.",
        "Each activity was recorded with its evidence and verified by a card scheme.",
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
        minutes,
    )


def _verified_cpd_minutes(uow: AbstractUnitOfWork, cardholder_id: int, year: int) -> int:
    records = uow.cpd.of_cardholder(cardholder_id, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return sum(r.minutes for r in records if r.status == VERIFIED)


def one_of_holder(
    uow: AbstractUnitOfWork, cardholder_id: int, key: str, today: dt.date
) -> Achievement:
    for achievement in of_holder(uow, cardholder_id, today):
        if achievement.key == key:
            return achievement
    raise NotFound(f"no achievement {key[:40]} of yours that can be shared")


def still_stands(
    uow: AbstractUnitOfWork, cardholder_id: int, kind: str, subject: str, claimed: int | None
) -> bool:
    """Whether the record an exported badge stands for is still as the badge states it."""
    return Standing(uow, cardholder_id).stands(kind, subject, claimed)


class Standing:
    """One holder's records, read once, to tell the standing of each of their badges (a status
    list reads many entries of the same holder)."""

    def __init__(self, uow: AbstractUnitOfWork, cardholder_id: int) -> None:
        self._uow, self._holder = uow, cardholder_id
        self._verified: set[str] | None = None
        self._hse: set[str] | None = None
        self._cpd: dict[int, int] = {}

    def stands(self, kind: str, subject: str, claimed: int | None) -> bool:
        if kind == "qualification":
            if self._verified is None:
                held = self._uow.cardholders.qualifications_of(self._holder)
                self._verified = {str(h.id) for h in held if h.verified}
            return subject in self._verified
        if kind == "hse":
            if self._hse is None:
                self._hse = {str(r.id) for r in self._uow.hse_records.of_cardholder(self._holder)}
            return subject in self._hse
        if kind == "cpd" and subject.isdigit():
            year = int(subject)
            if year not in self._cpd:
                self._cpd[year] = _verified_cpd_minutes(self._uow, self._holder, year)
            return self._cpd[year] >= (claimed or 0)
        return False


def as_exported(uow: AbstractUnitOfWork, entry: BadgeEntry, today: dt.date) -> Achievement | None:
    """The achievement an exported badge's entry stands for, as it was stated (None if its
    record is gone)."""
    if entry.kind == "cpd":
        return _cpd(int(entry.subject), entry.claimed_minutes or 0)
    for achievement in of_holder(uow, entry.cardholder_id, today):
        if (achievement.kind, achievement.subject) == (entry.kind, entry.subject):
            return achievement
    return None
