"""The rules of a check, without a database: outcomes, colours, reasons, rate-limit windows."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.cards import Card, CardState, CardStatus
from skillcard.domain.checks import (
    OUTCOME_OF_STATE,
    CheckOutcome,
    Colour,
    PublicCardView,
    RateLimit,
    can_see_check_log,
    clean_site,
    client_key,
)
from skillcard.domain.credentials import Outcome
from skillcard.domain.people import Cardholder
from skillcard.domain.schemes import CardCategory, CardType, Scheme
from skillcard.errors import InvalidInput

SCHEME = Scheme(
    code="ECS",
    name="Electrotechnical Certification Scheme",
    operator="JIB",
    number_prefix="ECS",
    id=1,
)
GOLD = CardType(
    scheme_id=1, code="GOLD", title="Installation Electrician", category=CardCategory.SKILLED, id=1
)
HOLDER = Cardholder(
    given_names="Ann",
    surname="Núñez",
    date_of_birth=dt.date(1990, 1, 1),
    email="ann@example.test",
    id=7,
)
ISSUED, EXPIRES = dt.date(2024, 3, 1), dt.date(2027, 3, 1)


def view_on(day: dt.date, status: CardStatus = CardStatus.ACTIVE) -> PublicCardView:
    card = Card(
        scheme_id=1,
        card_type_id=1,
        cardholder_id=7,
        number="ECS00000018",
        issued_on=ISSUED,
        expires_on=EXPIRES,
        status=status,
        status_reason="private",
    )
    return PublicCardView.of_card(
        card,
        scheme=SCHEME,
        card_type_title=GOLD.title,
        holder=HOLDER,
        occupation="",
        qualifications=(),
        today=day,
    )


def test_check_outcomes_are_the_verification_outcomes_and_no_match():
    assert {o.value for o in CheckOutcome} == {o.value for o in Outcome} | {"no_match"}


def test_every_card_state_has_an_outcome_and_replaced_is_revoked():
    assert set(OUTCOME_OF_STATE) == set(CardState)
    assert OUTCOME_OF_STATE[CardState.REPLACED] == CheckOutcome.REVOKED


@pytest.mark.parametrize(
    ("day", "colour", "warnings"),
    [
        (dt.date(2026, 11, 30), Colour.GREEN, ()),  # 91 days left: green
        (dt.date(2026, 12, 1), Colour.AMBER, ("expiring_soon",)),  # 90 days left: amber
        (EXPIRES, Colour.AMBER, ("expiring_soon",)),  # valid through its expiry day
        (EXPIRES + dt.timedelta(days=1), Colour.RED, ()),
    ],
)
def test_colour_bands(day, colour, warnings):
    view = view_on(day)
    assert (view.colour, view.warnings) == (colour, warnings)


def test_the_last_day_says_today():
    assert view_on(EXPIRES).reasons[1] == "It expires today: the holder should renew it soon."
    assert view_on(EXPIRES - dt.timedelta(days=1)).reasons[1].startswith("It expires in 1 day:")


@pytest.mark.parametrize("status", [CardStatus.SUSPENDED, CardStatus.REVOKED, CardStatus.REPLACED])
def test_not_valid_cards_are_red_say_what_to_do_and_keep_the_schemes_reason(status):
    view = view_on(dt.date(2025, 1, 1), status)
    assert (view.colour, view.valid) == (Colour.RED, False)
    assert len(view.reasons) == 2 and "private" not in " ".join(view.reasons)


def test_the_public_view_holds_no_private_fact():
    text = repr(view_on(dt.date(2025, 1, 1)))
    for private in ("1990", "ann@example.test", "id=7", "status_reason"):
        assert private not in text


def test_no_match_carries_only_what_was_typed():
    view = PublicCardView.no_match(scheme="ECS", card_number="ECS00000018")
    assert (view.outcome, view.colour, view.holder_name, view.expires_on) == (
        "no_match",
        "red",
        None,
        None,
    )


def test_sites_are_trimmed_and_limited():
    assert clean_site("  Block   B ") == "Block B"
    assert clean_site("   ") is None and clean_site(None) is None
    with pytest.raises(InvalidInput):
        clean_site("x" * 201)


def test_client_keys_are_keyed_hashes_not_addresses():
    key = client_key("203.0.113.7", "secret")
    assert len(key) == 64 and "203" not in key
    assert key == client_key("203.0.113.7", "secret") != client_key("203.0.113.7", "other")


def test_only_the_holder_or_a_hub_admin_sees_a_check_log():
    holder = Principal(label="ann", role=Role.CARDHOLDER, user_id=3, cardholder_id=7)
    assert can_see_check_log(holder, 7) and not can_see_check_log(holder, 8)
    assert can_see_check_log(Principal.operator(), 8)
    admin = Principal(label="a", role=Role.SCHEME_ADMIN, user_id=4, scheme_id=1)
    assert not can_see_check_log(admin, 7)


def test_fixed_windows_start_on_multiples_of_their_length():
    rule = RateLimit(limit=30, window_seconds=60)
    now = dt.datetime(2026, 5, 1, 12, 0, 45, 500_000, tzinfo=dt.UTC)
    assert rule.window_start(now) == int(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC).timestamp())
    assert rule.retry_after(now) == 15
    assert rule.allows(30) and not rule.allows(31)
    with pytest.raises(ValueError):
        RateLimit(limit=0, window_seconds=60)
    with pytest.raises(ValueError):
        RateLimit(limit=1, window_seconds=86_401)
