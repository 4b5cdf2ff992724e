"""Card lifecycle through the services, on SQLite and PostgreSQL, with its audit trail."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.errors import Conflict, IllegalTransition, InvalidCardNumber, InvalidInput, NotFound
from skillcard.services.audit import audit
from skillcard.services.registry import cards
from tests.factories import OPERATOR


def test_issue_gives_a_valid_card_with_a_checked_number(registry, uow_factory):
    view = cards.show_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["ann"])
    assert view.state == "valid"
    assert view.scheme_code == "ECS"
    assert view.expires_on.year == view.issued_on.year + 3
    assert view.holder_name == "Ann Núñez-O'Brien"


def test_scheme_is_found_from_the_number_and_typing_slips_are_forgiven(registry, uow_factory):
    number = registry.cards["cy"]
    typed = " ".join([number[:4].lower(), number[4:8], number[8:]])
    assert cards.show_card(uow=uow_factory(), who=OPERATOR, number=typed).number == number


def test_a_wrong_check_digit_is_refused_before_any_look_up(registry, uow_factory):
    number = registry.cards["ann"]
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidCardNumber, match="check digit"):
        cards.show_card(uow=uow_factory(), who=OPERATOR, number=wrong)


def test_unknown_scheme_is_refused(registry, uow_factory):
    with pytest.raises(NotFound, match="no scheme"):
        cards.show_card(uow=uow_factory(), who=OPERATOR, number="ECS1", scheme_code="NOPE")


def test_suspend_reinstate_revoke_and_no_way_back(registry, uow_factory):
    number = registry.cards["bob"]
    kw = {"uow": None, "who": OPERATOR, "number": number}
    assert cards.suspend_card(**{**kw, "uow": uow_factory()}, reason="audit").state == "suspended"
    assert cards.reinstate_card(**{**kw, "uow": uow_factory()}).state == "valid"
    view = cards.revoke_card(**{**kw, "uow": uow_factory()}, reason="fraudulent application")
    assert (view.state, view.status_reason) == ("revoked", "fraudulent application")
    with pytest.raises(IllegalTransition, match="revoked: it cannot be reinstated"):
        cards.reinstate_card(**{**kw, "uow": uow_factory()})
    with pytest.raises(IllegalTransition):
        cards.renew_card(**{**kw, "uow": uow_factory()})
    assert cards.show_card(uow=uow_factory(), who=OPERATOR, number=number).state == "revoked"


def test_revoking_needs_a_reason_and_changes_nothing_without_one(registry, uow_factory):
    number = registry.cards["bob"]
    with pytest.raises(InvalidInput, match="reason"):
        cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=number, reason="  ")
    assert cards.show_card(uow=uow_factory(), who=OPERATOR, number=number).state == "valid"
    assert [
        e.action for e in audit.history(uow=uow_factory(), entity_type="card", entity_id=number)
    ] == ["card.issue"]


def test_replace_retires_the_old_number_and_keeps_the_expiry(registry, uow_factory):
    old = cards.show_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["ann"])
    new = cards.replace_card(uow=uow_factory(), who=OPERATOR, number=old.number, reason="Stolen")
    assert new.number != old.number
    assert (new.expires_on, new.state, new.replaces_card_id) == (old.expires_on, "valid", old.id)
    again = cards.show_card(uow=uow_factory(), who=OPERATOR, number=old.number)
    assert (again.state, again.status_reason) == ("replaced", "replaced: stolen")
    with pytest.raises(InvalidInput, match="lost, stolen, damaged"):
        cards.replace_card(uow=uow_factory(), who=OPERATOR, number=new.number, reason="bored")


def test_renewal_only_inside_the_window(uow_factory):
    from tests.factories import build_registry

    reg = build_registry(uow_factory, issued_on=dt.date(2020, 1, 10))
    number = reg.cards["ann"]
    early = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(IllegalTransition, match="can be renewed from"):
        cards.renew_card(uow=uow_factory(), who=OPERATOR, number=number, now=early)
    late = dt.datetime(2023, 3, 1, tzinfo=dt.UTC)  # expired on 10 Jan 2023
    view = cards.renew_card(uow=uow_factory(), who=OPERATOR, number=number, now=late)
    assert (view.issued_on, view.expires_on, view.state) == (
        dt.date(2023, 3, 1),
        dt.date(2026, 3, 1),
        "valid",
    )


def test_expired_is_derived_from_the_date(uow_factory):
    from tests.factories import build_registry

    reg = build_registry(uow_factory, issued_on=dt.date(2020, 1, 10))
    view = cards.show_card(
        uow=uow_factory(), who=OPERATOR, number=reg.cards["ann"], today=dt.date(2023, 1, 11)
    )
    assert (view.status, view.state) == ("active", "expired")


def test_duplicate_card_number_is_a_conflict_not_a_crash(registry, uow_factory):
    from skillcard.domain.cards import Card

    with pytest.raises(Conflict, match="already exists"), uow_factory() as uow:
        existing = uow.cards.by_number(1, registry.cards["ann"])
        uow.cards.add(
            Card(
                scheme_id=1,
                card_type_id=1,
                cardholder_id=existing.cardholder_id,
                number=existing.number,
                issued_on=dt.date.today(),
                expires_on=dt.date.today(),
            )
        )
        uow.commit()


def test_every_change_is_chained_in_the_audit_log(registry, uow_factory):
    number = registry.cards["bob"]
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=number, reason="check")
    count, broken = audit.verify_audit_chain(uow=uow_factory(), who=OPERATOR)
    assert broken is None and count > 10
    events = audit.history(uow=uow_factory(), entity_type="card", entity_id=number)
    assert [(e.action, e.actor, e.reason) for e in events][-1] == ("card.suspend", "cli", "check")


def test_altering_an_audit_row_is_found(registry, uow_factory, engine):
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_events SET reason = 'tampered' WHERE seq = 5")
    _count, broken = audit.verify_audit_chain(uow=uow_factory(), who=OPERATOR)
    assert broken is not None and broken.seq == 5 and "altered" in broken.reason


def test_cutting_events_off_the_end_of_the_audit_log_is_found(registry, uow_factory, engine):
    count, _ = audit.verify_audit_chain(uow=uow_factory(), who=OPERATOR)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM audit_events WHERE seq >= {count - 1}")
    _count, broken = audit.verify_audit_chain(uow=uow_factory(), who=OPERATOR)
    assert broken is not None and broken.seq == count - 1 and "removed" in broken.reason
