"""Demo data: a few named people whose cards show every state, and their log-ins.

Loading twice changes nothing: the demo is recognised by its hub admin's account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.domain.accounts import Principal, Role
from skillcard.domain.cards import add_months
from skillcard.services.accounts import accounts
from skillcard.services.clock import card_today
from skillcard.services.demo import demo_business, demo_hse, demo_mycard
from skillcard.services.registry import cardholders, cards, photos
from skillcard.services.unit_of_work import AbstractUnitOfWork

OPERATOR = Principal.operator()
DEMO_PASSWORD = "skillcard-demo"  # demo data, printed on screen; never used outside the demo
DEMO_LOGINS = [
    ("hub admin", "hub@demo.skillcard.test", DEMO_PASSWORD),
    ("ECS scheme admin", "ecs-admin@demo.skillcard.test", DEMO_PASSWORD),
    ("CPCS scheme admin", "cpcs-admin@demo.skillcard.test", DEMO_PASSWORD),
    ("cardholder", "ann@demo.skillcard.test", DEMO_PASSWORD),
    ("business admin", "business@demo.skillcard.test", DEMO_PASSWORD),
    ("business checker", "checker@demo.skillcard.test", DEMO_PASSWORD),
    ("invigilator", "invigilator@demo.skillcard.test", DEMO_PASSWORD),
    ("assessor", "assessor@demo.skillcard.test", DEMO_PASSWORD),
]

# (given names, surname, scheme, card type, occupation, months since issue, then what happened)
PEOPLE = [
    (
        "Ann",
        "Núñez-O'Brien",
        "ECS",
        "INSTALLATION_ELECTRICIAN",
        "INSTALLATION_ELECTRICIAN",
        6,
        None,
    ),
    ("Bob", "Smith", "ECS", "INSTALLATION_ELECTRICIAN", "INSTALLATION_ELECTRICIAN", 34, None),
    ("Chloé", "Dubois", "ECS", "APPRENTICE", None, 3, None),
    ("Dan", "Kowalski", "ECS", "ELECTRICAL_LABOURER", None, 40, None),
    (
        "Ed",
        "Patel",
        "ECS",
        "MAINTENANCE_ELECTRICIAN",
        "MAINTENANCE_ELECTRICIAN",
        12,
        ("suspend", "Employer reported a safety investigation"),
    ),
    (
        "Fay",
        "O'Connor",
        "ECS",
        "INSTALLATION_ELECTRICIAN",
        "INSTALLATION_ELECTRICIAN",
        20,
        ("revoke", "Qualification certificate found to be forged"),
    ),
    ("Grace", "Mensah", "ECS", "DIGITAL_SUPPORT_TECHNICIAN", "DIGITAL_SUPPORT_TECHNICIAN", 2, None),
    ("Gearóid", "Ó Súilleabháin", "CPCS", "SKILLED", None, 8, None),
]
ANN_QUALIFICATIONS = [
    ("NVQ3_ELECTROTECHNICAL", "2019-07-15", "NVQ-7781203"),
    ("AM2S", "2019-09-02", "AM2S-55120"),
    ("BS7671_2018", "2022-03-11", "BS-221034"),
    ("EV_CHARGE_POINT", "2025-05-20", "EV-90412"),
]


def load_demo(
    *, uow_factory: Callable[[], AbstractUnitOfWork], store: PhotoStore, public_url: str
) -> bool:
    """Load the named demo people and log-ins; False if they were there already. Each named
    person gets a drawn portrait (synthetic, the same every time) in ``store``; the mail the
    demo queues links to ``public_url``."""
    with uow_factory() as uow:
        if uow.users.by_email(DEMO_LOGINS[0][1]) is not None:
            return False
    today = card_today()
    holder_ids = {}
    for given, surname, scheme, card_type, occupation, months_ago, then in PEOPLE:
        holder_id = cardholders.register_cardholder(
            uow=uow_factory(),
            who=OPERATOR,
            given_names=given,
            surname=surname,
            email=f"{given.lower()}@demo.skillcard.test",
        )
        holder_ids[given] = holder_id
        photos.set_photo(
            uow=uow_factory(),
            store=store,
            who=OPERATOR,
            cardholder_id=holder_id,
            data=drawn_portrait(f"{given} {surname}"),
        )
        view = cards.issue_card(
            uow=uow_factory(),
            who=OPERATOR,
            cardholder_id=holder_id,
            scheme_code=scheme,
            card_type_code=card_type,
            occupation_code=occupation,
            issued_on=add_months(today, -months_ago),
        )
        if then:
            action = {"suspend": cards.suspend_card, "revoke": cards.revoke_card}[then[0]]
            action(uow=uow_factory(), who=OPERATOR, number=view.number, reason=then[1])
    for code, achieved, certificate in ANN_QUALIFICATIONS:
        cardholders.add_qualification(
            uow=uow_factory(),
            who=OPERATOR,
            cardholder_id=holder_ids["Ann"],
            qualification_code=code,
            achieved_on=dt.date.fromisoformat(achieved),
            certificate_number=certificate,
        )
    _add_users(uow_factory, holder_ids["Ann"])
    for area in (demo_business, demo_hse):
        area.load(uow_factory=uow_factory, holder_ids=holder_ids, store=store)
    demo_mycard.load(
        uow_factory=uow_factory, holder_ids=holder_ids, store=store, public_url=public_url
    )
    return True


def _add_users(uow_factory: Callable[[], AbstractUnitOfWork], ann_id: int) -> None:
    roles = [
        Role.HUB_ADMIN,
        Role.SCHEME_ADMIN,
        Role.SCHEME_ADMIN,
        Role.CARDHOLDER,
        Role.BUSINESS_ADMIN,
        Role.BUSINESS_CHECKER,
        Role.INVIGILATOR,
        Role.ASSESSOR,
    ]
    schemes = [None, "ECS", "CPCS", None, None, None, "ECS", "ECS"]
    for (label, email, password), role, scheme in zip(DEMO_LOGINS, roles, schemes, strict=True):
        accounts.add_user(
            uow=uow_factory(),
            who=OPERATOR,
            email=email,
            display_name=label.capitalize(),
            role=role,
            password=password,
            scheme_code=scheme,
            cardholder_id=ann_id if role == Role.CARDHOLDER else None,
        )
