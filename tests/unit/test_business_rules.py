"""Business Check's rules, without a database (issue 4)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillcard.domain.business import (
    Business,
    BusinessCheck,
    BusinessCheckMethod,
    WorkforceState,
    company_number,
    neutralise,
    webhook_signature,
    workforce_state,
)
from skillcard.domain.cards import Card, CardFacts, CardStatus
from skillcard.errors import InvalidInput

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01234567", "01234567"),
        ("1234567", "01234567"),
        ("sc123456", "SC123456"),
        (" NI 123 456 ", "NI123456"),
        ("OC123456", "OC123456"),
        ("R0123456", "R0123456"),
    ],
)
def test_companies_house_numbers_are_normalised(typed, stored):
    assert company_number(typed) == stored


@pytest.mark.parametrize("typed", ["", "123456789", "XX123456", "SC12345", "SC1234567", "01-2345"])
def test_other_company_numbers_are_refused(typed):
    with pytest.raises(InvalidInput, match="8 characters"):
        company_number(typed)


def _card(status=CardStatus.ACTIVE, days_left=400) -> Card:
    return Card(
        scheme_id=1,
        card_type_id=1,
        cardholder_id=1,
        number="ECS00000018",
        issued_on=TODAY - dt.timedelta(days=100),
        expires_on=TODAY + dt.timedelta(days=days_left),
        status=status,
    )


@pytest.mark.parametrize(
    ("status", "days_left", "state"),
    [
        (CardStatus.ACTIVE, 400, WorkforceState.VALID),
        (CardStatus.ACTIVE, 91, WorkforceState.VALID),
        (CardStatus.ACTIVE, 90, WorkforceState.EXPIRING_90),
        (CardStatus.ACTIVE, 60, WorkforceState.EXPIRING_60),
        (CardStatus.ACTIVE, 31, WorkforceState.EXPIRING_60),
        (CardStatus.ACTIVE, 0, WorkforceState.EXPIRING_30),
        (CardStatus.ACTIVE, -1, WorkforceState.EXPIRED),
        (CardStatus.SUSPENDED, 400, WorkforceState.SUSPENDED),
        (CardStatus.REVOKED, 400, WorkforceState.REVOKED),
        (CardStatus.REPLACED, 400, WorkforceState.REVOKED),
    ],
)
def test_the_dashboard_states(status, days_left, state):
    card = _card(status, days_left)
    assert workforce_state(card, TODAY) == state
    facts = CardFacts(card.status, card.issued_on, card.expires_on)  # what bulk checks use
    assert facts.state_on(TODAY) == card.state_on(TODAY)
    assert facts.expiring_soon(TODAY) == card.expiring_soon(TODAY)


@given(st.text(max_size=30))
def test_no_written_value_starts_a_formula(value):
    written = neutralise(value)
    if written.startswith(("=", "+", "-", "@", "\t", "\r")):
        # only a plain number keeps its sign (issue 19): a spreadsheet reads it as a number
        assert written == value and value[0] in "+-"
        float(value)
    assert written.lstrip("'") == value.lstrip("'") or written == "'" + value


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("-1.5481", "-1.5481"),  # a longitude west of Greenwich (issue 19)
        ("+44.1", "+44.1"),
        ("-7", "-7"),
        ("-1e3", "-1e3"),
        ("-1+2", "'-1+2"),
        ("-A1", "'-A1"),
        ("=1", "'=1"),
        ("-١٢", "'-١٢"),  # digits a spreadsheet does not read as a number
        ("-1.5\n=cmd", "'-1.5\n=cmd"),
    ],
)
def test_a_plain_number_is_not_a_formula(value, written):
    assert neutralise(value) == written


def test_webhook_signature_is_hmac_sha256_of_the_body():
    body = b'{"alerts": []}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert webhook_signature("s3cret", body) == "sha256=" + expected


def test_a_business_needs_a_name_and_address_and_a_check_whole_coordinates():
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput, match="name"):
        Business(name=" ", company_number="01234567", address="Leeds", created_at=now)
    with pytest.raises(InvalidInput, match="address"):
        Business(name="Acme", company_number="01234567", address="\n \n", created_at=now)
    with pytest.raises(InvalidInput, match="both"):
        BusinessCheck(
            business_id=1,
            checked_at=now,
            method=BusinessCheckMethod.SPOT,
            outcome="valid",
            checker="x",
            latitude=53.0,
        )
