"""One calendar: a card judged at 23:30 UTC on its expiry date is on that date at every door
(the public check, the admin's card page, a business's workforce and alerts, CPD,
qualifications and applications), even when the moment is given in another zone (here
+01:00, British Summer Time, where it is already 00:30 the next day)."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain.business import WorkforceState
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import RENEWAL_WINDOW_DAYS
from skillcard.domain.checks import EXPIRING_SOON, CheckOutcome
from skillcard.errors import InvalidInput
from skillcard.services.business import alerts, workforce
from skillcard.services.checks import checks
from skillcard.services.clock import FixedClock, card_today
from skillcard.services.mycard import cpd
from skillcard.services.registry import applications, cardholders, cards
from tests.factories import OPERATOR, business_budget
from tests.integration.test_business import URL, register

SUMMER_TIME = dt.timezone(dt.timedelta(hours=1))


def late_on(day: dt.date) -> dt.datetime:
    """23:30 UTC on ``day``, as a clock in British Summer Time reads it (00:30 the day after)."""
    return dt.datetime.combine(day, dt.time(23, 30), tzinfo=dt.UTC).astimezone(SUMMER_TIME)


def test_card_day_is_the_utc_date_and_wants_a_zone():
    moment = late_on(dt.date(2026, 7, 31))
    assert moment.date() == dt.date(2026, 8, 1)  # the wall clock's date: not the card's
    assert card_day(moment) == dt.date(2026, 7, 31)
    assert card_today(FixedClock(moment)) == dt.date(2026, 7, 31)
    with pytest.raises(ValueError, match="time zone"):
        card_day(dt.datetime(2026, 7, 31, 23, 30))


def test_a_card_on_its_expiry_date_is_valid_at_every_door(mycard, uow_factory):
    admin = mycard.principals["ecs_admin"]
    bob = mycard.cards["bob"]
    expires = cards.show_card(uow=uow_factory(), who=admin, number=bob).expires_on
    late = late_on(expires)

    answer = checks.check_card(uow=uow_factory(), number=bob, surname="Smith", now=late)
    assert answer.view.outcome is CheckOutcome.VALID
    assert EXPIRING_SOON in answer.view.warnings

    shown = cards.show_card(
        uow=uow_factory(), who=admin, number=bob, today=card_today(FixedClock(late))
    )
    assert (shown.state, shown.expiring_soon) == ("valid", True)

    business_id, boss = register(uow_factory)
    workforce.add_worker(
        budget=business_budget(), uow=uow_factory(), who=boss, number=bob, surname="Smith", now=late
    )
    board = workforce.dashboard(uow=uow_factory(), who=boss, today=card_day(late))
    assert [row.state for row in board.rows] == [WorkforceState.EXPIRING_30]
    run = alerts.run_alerts(uow_factory=uow_factory, who=OPERATOR, public_url=URL, now=late)
    assert run.items == 1
    with uow_factory() as uow:
        ((entry, *_),) = list(uow.workforce.with_cards(business_id))
        digest = uow.outbox.recent(1)[0]
    assert entry.alerted_state == WorkforceState.EXPIRING_30.value  # not "expired"
    assert f":{expires.isoformat()}:" in digest.dedupe_key


def test_what_is_in_the_future_is_judged_by_the_same_day(mycard, uow_factory, evidence_store):
    """At 23:30 UTC the next day has not begun for a card: CPD and qualifications dated on it
    are refused as in the future, though a British clock already shows it."""
    ann, holder = mycard.principals["ann"], mycard.holders["ann"]
    day = card_today() - dt.timedelta(days=2)
    late, tomorrow = late_on(day), day + dt.timedelta(days=1)
    activity = {
        "uow": None,
        "who": ann,
        "store": evidence_store,
        "cardholder_id": holder,
        "activity_type": "training_course",
        "title": "Earthing",
        "hours": "2",
        "now": late,
    }
    with pytest.raises(InvalidInput, match="future"):
        cpd.record_cpd(**{**activity, "uow": uow_factory()}, activity_on=tomorrow)
    assert cpd.record_cpd(**{**activity, "uow": uow_factory()}, activity_on=day)
    with pytest.raises(InvalidInput, match="future"):
        cardholders.add_qualification(
            uow=uow_factory(),
            who=OPERATOR,
            cardholder_id=holder,
            qualification_code="AM2",
            achieved_on=tomorrow,
            now=late,
        )


def test_a_renewal_opens_on_the_cards_day_not_the_wall_clocks(mycard, uow_factory):
    ann = mycard.principals["ann"]
    card = cards.issue_card(
        uow=uow_factory(),
        who=OPERATOR,
        cardholder_id=mycard.holders["ann"],
        scheme_code="ECS",
        card_type_code="INSTALLATION_ELECTRICIAN",
    )
    opens = card.expires_on - dt.timedelta(days=RENEWAL_WINDOW_DAYS)
    apply = {
        "who": ann,
        "scheme_code": "ECS",
        "occupation_code": "INSTALLATION_ELECTRICIAN",
        "renews_card_number": card.number,
    }
    with pytest.raises(InvalidInput, match="can be renewed from"):
        applications.start_application(
            uow=uow_factory(), **apply, now=late_on(opens - dt.timedelta(days=1))
        )
    assert applications.start_application(uow=uow_factory(), **apply, now=late_on(opens))
