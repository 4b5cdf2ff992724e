"""Business Check on both databases: registration, colleagues, workforce, checks, history,
and that one business never reaches another's rows (issue 4)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.domain.accounts import Principal, Role
from skillcard.domain.business import WorkforceState
from skillcard.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from skillcard.services.accounts import accounts
from skillcard.services.business import business, business_checks, workforce
from skillcard.services.registry import cards
from tests.factories import OPERATOR, PASSWORD, business_budget

URL = "https://skillcard.example"
HOUR = dt.timedelta(hours=1)

BUDGET = business_budget()


def _link(uow_factory, email: str, path: str) -> str:
    with uow_factory() as uow:
        body = uow.outbox.recent(5, to_address=email)[0].body
    return body.split(f"{URL}{path}")[1].split()[0]


def register(uow_factory, email="boss@acme.test", company="01234567", name="Acme Builders"):
    business_id = business.register_business(
        uow=uow_factory(),
        name=name,
        company_number=company,
        address="1 High Street\nLeeds",
        admin_name="Bo Boss",
        email=email,
        password=PASSWORD,
        public_url=URL,
    )
    business.confirm_registration(
        uow=uow_factory(), token=_link(uow_factory, email, "/business/confirm/")
    )
    return business_id, accounts.authenticate(uow=uow_factory(), email=email, password=PASSWORD)


def test_registration_is_confirmed_by_the_emailed_link_once(uow_factory, registry):
    business_id = business.register_business(
        uow=uow_factory(),
        name="Acme",
        company_number="sc 123456",
        address="Glasgow",
        admin_name="Bo",
        email="bo@acme.test",
        password=PASSWORD,
        public_url=URL,
    )
    with pytest.raises(NotAuthenticated):  # not before the link is opened
        accounts.authenticate(uow=uow_factory(), email="bo@acme.test", password=PASSWORD)
    token = _link(uow_factory, "bo@acme.test", "/business/confirm/")
    assert business.confirm_registration(uow=uow_factory(), token=token) == "bo@acme.test"
    who = accounts.authenticate(uow=uow_factory(), email="bo@acme.test", password=PASSWORD)
    assert who.role == Role.BUSINESS_ADMIN and who.business_id == business_id
    with pytest.raises(Conflict, match="used already"):
        business.confirm_registration(uow=uow_factory(), token=token)
    with pytest.raises(NotFound):
        business.confirm_registration(uow=uow_factory(), token=token + "x")
    with uow_factory() as uow:
        assert uow.businesses.get(business_id).company_number == "SC123456"
        assert uow.businesses.get(business_id).confirmed


@pytest.mark.parametrize(
    ("number", "problem"),
    [("1234", None), ("AB12345", "8 characters"), ("XX123456", "8 characters"), ("", "8 char")],
)
def test_company_numbers_are_format_checked(uow_factory, registry, number, problem):
    call = dict(
        uow=uow_factory(),
        name="Acme",
        company_number=number,
        address="Leeds",
        admin_name="Bo",
        email="bo@acme.test",
        password=PASSWORD,
        public_url=URL,
    )
    if problem is None:
        business_id = business.register_business(**call)
        with uow_factory() as uow:
            assert uow.businesses.get(business_id).company_number == "00001234"
        with pytest.raises(Conflict, match="company registration number"):
            business.register_business(**{**call, "uow": uow_factory(), "email": "x@acme.test"})
    else:
        with pytest.raises(InvalidInput, match=problem):
            business.register_business(**call)
        with uow_factory() as uow:
            assert uow.outbox.recent(5) == []


def test_admin_invites_a_checker_who_sets_a_password_and_can_be_removed(uow_factory, registry):
    business_id, admin = register(uow_factory)
    user_id = business.invite_checker(
        uow=uow_factory(), who=admin, email="chk@acme.test", display_name="Chek", public_url=URL
    )
    token = _link(uow_factory, "chk@acme.test", "/business/invite/")
    with pytest.raises(InvalidInput, match="at least"):
        business.accept_invitation(uow=uow_factory(), token=token, password="short")
    business.accept_invitation(uow=uow_factory(), token=token, password="a long new password")
    checker = accounts.authenticate(
        uow=uow_factory(), email="chk@acme.test", password="a long new password"
    )
    assert checker.role == Role.BUSINESS_CHECKER and checker.business_id == business_id
    with pytest.raises(PermissionDenied):  # a checker does not invite
        business.invite_checker(uow=uow_factory(), who=checker, email="z@a.test", public_url=URL)
    business.remove_user(uow=uow_factory(), who=admin, user_id=user_id)
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(
            uow=uow_factory(), email="chk@acme.test", password="a long new password"
        )
    _other_id, other_admin = register(uow_factory, "o@other.test", "OC123456", "Other")
    with pytest.raises(NotFound):  # one business cannot remove another's people
        business.remove_user(uow=uow_factory(), who=other_admin, user_id=admin.user_id)


def test_workforce_dashboard_shows_every_state_and_filters(uow_factory, registry):
    _, admin = register(uow_factory)
    today = dt.date.today()
    add = dict(uow=None, who=admin)
    workforce.add_worker(
        budget=BUDGET,
        **{**add, "uow": uow_factory()},
        number=registry.cards["ann"],
        surname="NUNEZ OBRIEN",
        label="Ann",
        trade="Electrician",
        site="Leeds",
        subcontractor="Sparks Ltd",
    )
    workforce.add_worker(
        budget=BUDGET,
        **{**add, "uow": uow_factory()},
        number=registry.cards["cy"],
        surname="jones",
        site="York",
    )
    with pytest.raises(NotFound, match="No card matches"):
        workforce.add_worker(
            budget=BUDGET,
            **{**add, "uow": uow_factory()},
            number=registry.cards["bob"],
            surname="Jones",
        )
    with pytest.raises(Conflict, match="already in your workforce"):
        workforce.add_worker(
            budget=BUDGET,
            **{**add, "uow": uow_factory()},
            number=registry.cards["cy"],
            surname="Jones",
        )
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["cy"], reason="x")
    board = workforce.dashboard(uow=uow_factory(), who=admin, today=today)
    assert board.counts[WorkforceState.VALID] == 1
    assert board.counts[WorkforceState.SUSPENDED] == 1
    assert board.sites == ["Leeds", "York"] and board.subcontractors == ["Sparks Ltd"]
    late = workforce.dashboard(
        uow=uow_factory(), who=admin, today=today + dt.timedelta(days=3 * 365 - 70)
    )
    assert late.counts[WorkforceState.EXPIRING_90] == 1
    gone = workforce.dashboard(
        uow=uow_factory(), who=admin, today=today + dt.timedelta(days=4 * 365)
    )
    assert gone.counts[WorkforceState.EXPIRED] == 1
    leeds = workforce.dashboard(uow=uow_factory(), who=admin, site="Leeds", today=today)
    assert [r.holder_name for r in leeds.rows] == ["Ann Núñez-O'Brien"]
    sub = workforce.dashboard(uow=uow_factory(), who=admin, subcontractor="Sparks Ltd")
    assert len(sub.rows) == 1
    # Another business sees none of it and cannot remove it.
    _, other = register(uow_factory, "o@other.test", "OC123456", "Other")
    assert workforce.dashboard(uow=uow_factory(), who=other).rows == []
    with pytest.raises(NotFound):
        workforce.remove_worker(uow=uow_factory(), who=other, entry_id=leeds.rows[0].entry_id)
    workforce.remove_worker(uow=uow_factory(), who=admin, entry_id=leeds.rows[0].entry_id)
    assert len(workforce.dashboard(uow=uow_factory(), who=admin).rows) == 1


def test_single_spot_and_offline_checks_go_into_the_history(uow_factory, registry):
    _, admin = register(uow_factory)
    number = registry.cards["bob"]
    result = business_checks.check_for_business(
        budget=BUDGET, uow=uow_factory(), who=admin, number=number, surname="smith"
    )
    assert result.view.outcome == "valid" and result.view.holder_name == "Bob Smith"
    with pytest.raises(InvalidInput, match="site"):
        business_checks.check_for_business(
            budget=BUDGET, uow=uow_factory(), who=admin, number=number, surname="smith", spot=True
        )
    where = business_checks.Where(
        site="Leeds", latitude=53.8, longitude=-1.55, note="gate 2", face_confirmed=True
    )
    business_checks.check_for_business(
        budget=BUDGET,
        uow=uow_factory(),
        who=admin,
        number=number,
        surname="Jones",
        spot=True,
        where=where,
    )
    then = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
    answers = business_checks.sync_offline(
        budget=BUDGET,
        uow=uow_factory(),
        who=admin,
        items=[
            business_checks.OfflineItem(number=number, surname="Smith", checked_at=then),
            business_checks.OfflineItem(number="ECS1", surname="Smith", checked_at=then),
            business_checks.OfflineItem(
                number=number, surname="Smith", checked_at=then + dt.timedelta(days=2)
            ),
        ],
    )
    assert [a.stored for a in answers] == [True, False, False]
    assert "future" in answers[2].error
    history = business_checks.history(uow=uow_factory(), who=admin)
    assert [(h.method, h.outcome) for h in history] == [
        ("spot", "no_match"),
        ("single", "valid"),
        ("offline", "valid"),
    ]
    spot = history[0]
    assert (spot.site, spot.latitude, spot.note, spot.face_confirmed) == (
        "Leeds",
        53.8,
        "gate 2",
        True,
    )
    offline = history[2]
    assert abs((offline.checked_at.replace(tzinfo=dt.UTC) - then).total_seconds()) < 1
    # The holder sees the business's checks in "who checked your card".
    with uow_factory() as uow:
        assert len(uow.checks.for_cardholder(registry.holders["bob"])) == 3
    _, other = register(uow_factory, "o@other.test", "OC123456", "Other")
    assert business_checks.history(uow=uow_factory(), who=other) == []


def test_an_offline_check_is_judged_by_the_card_as_it_stood_then(uow_factory, registry):
    _, admin = register(uow_factory)
    number, scheme_admin = registry.cards["bob"], registry.principals["ecs_admin"]
    with uow_factory() as uow:
        expires = uow.cards.by_number(uow.schemes.by_code("ECS").id, number).expires_on
    renewed = dt.datetime.combine(expires - dt.timedelta(days=30), dt.time(9), dt.UTC)
    cards.renew_card(uow=uow_factory(), who=scheme_admin, number=number, now=renewed)
    revoked = renewed + dt.timedelta(hours=2)
    cards.revoke_card(
        uow=uow_factory(), who=scheme_admin, number=number, reason="fraud", now=revoked
    )
    made = [renewed - dt.timedelta(days=1), renewed + dt.timedelta(hours=1), revoked + HOUR]
    answers = business_checks.sync_offline(
        budget=BUDGET,
        uow=uow_factory(),
        who=admin,
        items=[business_checks.OfflineItem(number, "Smith", checked_at=at) for at in made],
        now=renewed + dt.timedelta(days=1),
    )
    # the day before its renewal the old card was good, and expiring within 90 days
    assert [a.outcome for a in answers] == ["valid", "valid", "revoked"]
    k = tables.checks.c
    with uow_factory() as uow:
        logged = uow.session.execute(
            sa.select(k.outcome, k.warnings).where(k.synced_at.is_not(None)).order_by(k.checked_at)
        ).all()
    assert [tuple(row) for row in logged] == [
        ("valid", "expiring_soon"), ("valid", ""), ("revoked", ""),
    ]  # fmt: skip


def test_people_outside_a_business_cannot_use_business_check(uow_factory, registry):
    for key in ("ann", "ecs_admin", "biz_checker"):  # biz_checker of the factory has no business
        with pytest.raises(PermissionDenied):
            workforce.dashboard(uow=uow_factory(), who=registry.principals[key])
    nobody = Principal(label="x", role=Role.BUSINESS_ADMIN, business_id=None)
    with pytest.raises(PermissionDenied):
        business_checks.history(uow=uow_factory(), who=nobody)
