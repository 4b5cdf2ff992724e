"""Demo data for Business Check, loaded by ``skillcard demo`` after the named people: a
confirmed business whose admin and checker are the demo log-ins, a workforce of the demo
people (so the dashboard shows every state), and some checks of each kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from skillcard.adapters.photos import PhotoStore
from skillcard.adapters.rate_limits import DatabaseBudgetCounter
from skillcard.domain.accounts import Principal
from skillcard.domain.business import Business
from skillcard.domain.business_budget import Allowance, BudgetRules
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business import business_checks, workforce
from skillcard.services.business.business_budget import Budget
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

ADMIN, CHECKER = "business@demo.skillcard.test", "checker@demo.skillcard.test"
# given name -> (label, trade, site, subcontractor)
# The demo's dozen checks, counted as every business's are (the demo business is approved).
BUDGET = Budget(
    BudgetRules(
        Allowance(2_000, 100_000), Allowance(10, 50), burst_no_matches=100, burst_minutes=10
    ),
    DatabaseBudgetCounter(),
)
WORKERS = {
    "Ann": ("Payroll 1041", "Electrician", "Leeds Station", ""),
    "Bob": ("Payroll 1042", "Electrician", "Leeds Station", ""),
    "Chloé": ("Apprentice 7", "Apprentice electrician", "York Hospital", ""),
    "Dan": ("", "Labourer", "York Hospital", "Sparks & Sons Ltd"),
    "Ed": ("", "Maintenance electrician", "Leeds Station", "Sparks & Sons Ltd"),
    "Fay": ("", "Electrician", "York Hospital", "Sparks & Sons Ltd"),
    "Grace": ("Payroll 1077", "Digital support", "Leeds Station", ""),
    "Gearóid": ("", "Plant operator", "York Hospital", "Ó Súilleabháin Plant Hire"),
}


def load(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    holder_ids: dict[str, int],
    store: PhotoStore,
) -> None:
    """``holder_ids`` maps the demo people's given names (Ann, ...) to their cardholder ids."""
    now = utcnow()
    with uow_factory() as uow:
        company = Business(
            name="Northgate Construction Ltd",
            company_number="09876543",
            address="Unit 4, Canal Wharf\nLeeds LS11 5PS",
            created_at=now,
            confirmed=True,
            approved=True,
        )
        uow.businesses.add(company)
        people = [on_record(uow.users.by_email(e), e) for e in (ADMIN, CHECKER)]
        for user in people:
            user.business_id = company.id
        operator = Principal.operator()
        record(uow, operator, "business.register", "business", company.id, reason="demo data")
        numbers = {}
        for given, holder_id in holder_ids.items():
            holder = on_record(uow.cardholders.get(holder_id), "the cardholder")
            card = uow.cards.of_cardholder(holder_id)[0]
            numbers[given] = (card.number, holder.surname)
        uow.commit()
        admin, checker = (Principal.of(u) for u in people)
    for given, (label, trade, site, subcontractor) in WORKERS.items():
        if given not in numbers:
            continue
        number, surname = numbers[given]
        workforce.add_worker(
            uow=uow_factory(),
            who=admin,
            budget=BUDGET,
            number=number,
            surname=surname,
            label=label,
            trade=trade,
            site=site,
            subcontractor=subcontractor,
        )
    _checks(uow_factory, admin, checker, numbers, now)


def _checks(
    uow_factory: Callable[[], AbstractUnitOfWork],
    admin: Principal,
    checker: Principal,
    numbers: dict[str, tuple[str, str]],
    now: dt.datetime,
) -> None:
    """A few days of checks: single, spot (with GPS and the face confirmed) and offline."""
    plan = [
        ("Ann", admin, None, 3),
        ("Bob", checker, ("Leeds Station", 53.7954, -1.5481), 2),
        ("Ed", checker, ("Leeds Station", 53.7954, -1.5481), 2),
        ("Fay", checker, ("York Hospital", 53.9690, -1.1013), 1),
    ]
    for given, who, spot, days_ago in plan:
        if given not in numbers:
            continue
        number, surname = numbers[given]
        where = business_checks.Where()
        if spot:
            where = business_checks.Where(
                site=spot[0], latitude=spot[1], longitude=spot[2], face_confirmed=True
            )
        business_checks.check_for_business(
            uow=uow_factory(),
            who=who,
            budget=BUDGET,
            number=number,
            surname=surname,
            spot=spot is not None,
            where=where,
            now=now - dt.timedelta(days=days_ago, hours=len(given)),
        )
    if "Grace" in numbers:
        business_checks.sync_offline(
            uow=uow_factory(),
            who=checker,
            budget=BUDGET,
            items=[
                business_checks.OfflineItem(
                    number=numbers["Grace"][0],
                    surname=numbers["Grace"][1],
                    checked_at=now - dt.timedelta(hours=20),
                    where=business_checks.Where(site="York Hospital", note="basement, no signal"),
                )
            ],
        )
