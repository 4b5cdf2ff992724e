"""A scheme admin records an HSE test pass from a test-centre result (source "admin_entry"),
until the online assessment writes its own ("assessment") records."""

from __future__ import annotations

import datetime as dt

from skillcard.domain.accounts import Principal, Role, require
from skillcard.domain.calendar import card_day
from skillcard.domain.people import HseRecord
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.mycard.cpd import scheme_ids_related
from skillcard.services.unit_of_work import AbstractUnitOfWork

VALID_FOR_DAYS = 2 * 365


def record_hse_pass(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    cardholder_id: int,
    passed_on: dt.date,
    now: dt.datetime | None = None,
) -> int:
    now = now or utcnow()
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "record HSE passes")
    if passed_on > card_day(now):
        raise InvalidInput("the HSE pass date is in the future")
    with uow:
        if uow.cardholders.get(cardholder_id) is None or not (
            who.is_hub_admin or who.scheme_id in scheme_ids_related(uow, cardholder_id)
        ):
            raise NotFound(f"no cardholder {cardholder_id} that you can see")
        entry = HseRecord(
            cardholder_id=cardholder_id,
            passed_on=passed_on,
            valid_until=passed_on + dt.timedelta(days=VALID_FOR_DAYS),
            source="admin_entry",
            recorded_by=who.label,
            recorded_at=now,
        )
        uow.hse_records.add(entry)
        record(
            uow,
            who,
            "hse.admin_entry",
            "cardholder",
            cardholder_id,
            now=now,
            detail={"passed_on": passed_on.isoformat()},
        )
        uow.commit()
        return entry.id
