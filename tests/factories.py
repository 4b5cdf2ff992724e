"""Builds small registries for tests, through the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.schemes import CardCategory, CardType, Scheme
from skillcard.services.accounts import accounts
from skillcard.services.clock import card_today
from skillcard.services.registry import cardholders, cards

OPERATOR = Principal.operator()
PASSWORD = "correct horse battery"


@dataclass
class Registry:
    uow: object
    holders: dict[str, int] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def add_scheme(uow_factory, code: str, prefix: str) -> None:
    with uow_factory() as uow:
        scheme = Scheme(
            code=code, name=f"{code} scheme", operator="Test operator", number_prefix=prefix
        )
        uow.schemes.add(scheme)
        for ct_code, title, category, months, renewable in (
            ("GOLD", "Installation Electrician", CardCategory.SKILLED, 36, True),
            ("TRAINEE", "Trainee", CardCategory.TRAINEE, 24, False),
        ):
            uow.card_types.add(
                CardType(
                    scheme_id=scheme.id,
                    code=ct_code,
                    title=title,
                    category=category,
                    validity_months=months,
                    colour="Gold",
                    renewable=renewable,
                )
            )
        uow.commit()


def build_registry(uow_factory, *, issued_on: dt.date | None = None) -> Registry:
    reg = Registry(uow=uow_factory)
    add_scheme(uow_factory, "ECS", "ECS")
    add_scheme(uow_factory, "CPCS", "CPCS")
    # Issued yesterday: a check a few minutes in the past must not fall before the card's
    # first day when the tests run just after midnight.
    day = issued_on or card_today() - dt.timedelta(days=1)
    for key, (given, surname, scheme) in {
        "ann": ("Ann", "Núñez-O'Brien", "ECS"),
        "bob": ("Bob", "Smith", "ECS"),
        "cy": ("Cy", "Jones", "CPCS"),
    }.items():
        holder_id = cardholders.register_cardholder(
            uow=uow_factory(),
            who=OPERATOR,
            given_names=given,
            surname=surname,
            email=f"{key}@example.test",
        )
        reg.holders[key] = holder_id
        view = cards.issue_card(
            uow=uow_factory(),
            who=OPERATOR,
            cardholder_id=holder_id,
            scheme_code=scheme,
            card_type_code="GOLD",
            issued_on=day,
        )
        reg.cards[key] = view.number
    users = {
        "hub": (Role.HUB_ADMIN, None, None),
        "ecs_admin": (Role.SCHEME_ADMIN, "ECS", None),
        "cpcs_admin": (Role.SCHEME_ADMIN, "CPCS", None),
        "ann": (Role.CARDHOLDER, None, reg.holders["ann"]),
        "bob": (Role.CARDHOLDER, None, reg.holders["bob"]),
        "biz_admin": (Role.BUSINESS_ADMIN, None, None),
        "biz_checker": (Role.BUSINESS_CHECKER, None, None),
        "invigilator": (Role.INVIGILATOR, "ECS", None),
        "assessor": (Role.ASSESSOR, "ECS", None),
    }
    for key, (role, scheme, holder) in users.items():
        email = f"{key}.user@example.test"
        user_id = accounts.add_user(
            uow=uow_factory(),
            who=OPERATOR,
            email=email,
            display_name=key,
            role=role,
            password=PASSWORD,
            scheme_code=scheme,
            cardholder_id=holder,
        )
        with uow_factory() as uow:
            reg.principals[key] = Principal.of(uow.users.get(user_id))
        reg.emails[key] = email
    return reg


def business_budget(**settings):
    """A business check budget as the app builds it, from the settings (defaults unless
    given, e.g. ``unapproved_checks_per_day=3``), counted in the database."""
    from skillcard.adapters.rate_limits import DatabaseBudgetCounter
    from skillcard.config import Settings
    from skillcard.services.business.business_budget import Budget

    return Budget(Settings(**settings).budget_rules(), DatabaseBudgetCounter())


def approve_business(uow_factory, business_id: int) -> None:
    """The hub admin approves a business (issue 14): a test that checks more than the small
    allowance of a newly registered business approves it first, saying so."""
    from skillcard.services.business.business_budget import approve_business as approve

    approve(uow=uow_factory(), who=OPERATOR, business_id=business_id)
