"""The scheme connector's record rule (domain/card_records.py): fields checked, the newer
version wins, what counts as unchanged (issue 17 item 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain.card_records import (
    OtherScheme,
    Outcome,
    StoredCard,
    judge,
    normalise_version,
    parse_record,
    shown_version,
)
from skillcard.domain.cards import CardStatus
from skillcard.domain.schemes import Scheme
from skillcard.errors import InvalidInput

ECS = Scheme(code="ECS", name="ECS", operator="JIB", number_prefix="ECS", id=1)
TYPES = {"GOLD", "TRAINEE"}
NUMBER = ECS.number_format.number_for(42)


def values(**changes):
    base = {
        "scheme": "ECS", "number": NUMBER, "version": 7, "holder_ref": "P1",
        "given_names": "Ann", "surname": "Smith", "date_of_birth": "1990-01-01",
        "card_type": "gold", "issued_on": "2026-01-01", "expires_on": "2029-01-01",
        "status": "active", "status_reason": "",
    }  # fmt: skip
    return {**base, **changes}


def parse(**changes):
    return parse_record(values(**changes), scheme=ECS, card_types=TYPES)


def stored(record, **changes) -> StoredCard:
    base = dict(
        id=1, cardholder_id=9, version=record.version, holder_ref=record.holder_ref,
        given_names=record.given_names, surname=record.surname,
        date_of_birth=record.date_of_birth, card_type=record.card_type,
        issued_on=record.issued_on, expires_on=record.expires_on, status=record.status,
        status_reason=record.status_reason,
    )  # fmt: skip
    return StoredCard(**{**base, **changes})


def test_a_good_record_is_parsed_and_normalised():
    record = parse()
    assert (record.card_type, record.version, record.issued_on) == (
        "GOLD", "n0000000000000000007", dt.date(2026, 1, 1))  # fmt: skip
    assert record.surname_key


@pytest.mark.parametrize(
    "changes, why",
    [
        ({"card_type": "PLATINUM"}, "no card type"),
        ({"issued_on": "2026-02-30"}, "not a date"),
        ({"expires_on": "2025-01-01"}, "after issued_on"),
        ({"version": "yesterday"}, "neither a whole number"),
        ({"version": "2026-01-01T10:00:00"}, "needs its zone"),
        ({"version": -1}, "whole number from 0"),
        ({"version": True}, "version"),
        ({"status": "lost"}, "status: one of"),
        ({"status": "revoked"}, "status_reason is required"),
        ({"surname": ""}, "surname is missing"),
        ({"number": "ECS123"}, "."),
        ({"holder_ref": "x" * 65}, "longer than 64"),
    ],
)
def test_bad_fields_are_refused_saying_why(changes, why):
    with pytest.raises(InvalidInput, match=why):
        parse(**changes)


def test_a_record_of_another_scheme_is_told_apart():
    with pytest.raises(OtherScheme):
        parse(scheme="CPCS")


def test_times_are_normalised_to_utc_and_compare_as_text():
    a = normalise_version("2026-12-01T10:00:00+01:00")
    b = normalise_version("2026-12-01T09:30:00Z")
    assert a < b and shown_version(b) == "2026-12-01T09:30:00.000000Z"
    assert normalise_version(9) < normalise_version("10")  # not "10" < "9"


def test_new_unchanged_and_newer_wins():
    record = parse()
    assert judge(record, None).outcome == Outcome.CREATED
    assert judge(record, None).feed_kinds() == ["issued"]
    assert judge(record, stored(record)).outcome == Outcome.UNCHANGED
    bumped = judge(record, stored(record, version=normalise_version(6)))
    assert (bumped.outcome, bumped.version_only) == (Outcome.UNCHANGED, True)
    moved = judge(record, stored(record, version=normalise_version(6), status=CardStatus.SUSPENDED))
    assert (moved.outcome, moved.status_changed, moved.feed_kinds()) == (
        Outcome.UPDATED, True, ["status"])  # fmt: skip


def test_older_or_same_version_with_other_details_is_refused():
    record = parse()
    older = judge(record, stored(record, version=normalise_version(8), surname="Jones"))
    assert (
        older.outcome == Outcome.REFUSED and "older than the version on record (8)" in older.reason
    )
    same = judge(record, stored(record, surname="Jones"))
    assert same.outcome == Outcome.REFUSED and "newer version" in same.reason
    kinds = judge(record, stored(record, version=normalise_version("2026-01-01T00:00:00Z")))
    assert kinds.outcome == Outcome.REFUSED and "updated_at times" in kinds.reason


def test_a_revoked_card_stays_revoked_and_a_card_keeps_its_holder():
    record = parse(version=9)
    revoked = stored(record, version=normalise_version(8), status=CardStatus.REVOKED,
                     status_reason="forged")  # fmt: skip
    assert "stays so" in judge(record, revoked).reason
    other = judge(record, stored(record, version=normalise_version(8), holder_ref="P2"))
    assert other.outcome == Outcome.REFUSED and "belongs to holder P2" in other.reason
    hub_own = judge(record, stored(record, version=None, holder_ref=None, surname="Smyth"))
    assert (hub_own.outcome, hub_own.holder_changed, hub_own.feed_kinds()) == (
        Outcome.UPDATED, True, ["holder"])  # fmt: skip
