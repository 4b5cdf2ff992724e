"""The credential domain: claims and their wire map, status lists, key windows, the decision."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillcard.domain.credentials import (
    EXPIRING_SOON,
    CardClaims,
    ClaimsError,
    MalformedCredential,
    Outcome,
    claims_from_map,
    claims_to_map,
    decide,
)
from skillcard.domain.trust import (
    CLOCK_SKEW,
    MIN_STATUS_ENTRIES,
    KeyStatus,
    ListedState,
    StatusList,
    TrustedKey,
)
from skillcard.errors import InvalidInput

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
HOUR, DAY, MINUTE = dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(minutes=1)


def claims(**overrides) -> CardClaims:
    values = {
        "scheme": "ECS",
        "number": "ECS00012345",
        "card_type_code": "GOLD-IE",
        "card_type_title": "Installation Electrician",
        "holder_name": "Zoë O'Brien-Núñez",
        "occupation": "Installation Electrician",
        "qualifications": ("NVQ Level 3 Electrotechnical", "AM2"),
        "portrait_sha256": "ab" * 32,
        "issued": dt.date(2024, 3, 1),
        "expires": dt.date(2027, 3, 1),
        "status_index": 42,
        "signed": NOW - DAY,
    }
    values.update(overrides)
    return CardClaims(**values)


def key(**overrides) -> TrustedKey:
    values = {
        "kid": "k1",
        "scheme": "ECS",
        "public_key": b"\x04" + bytes(64),
        "valid_from": NOW - 1000 * DAY,
    }
    values.update(overrides)
    return TrustedKey(**values)


def fresh_list(**overrides) -> StatusList:
    values = {"scheme": "ECS", "issued": NOW - HOUR}
    values.update(overrides)
    return StatusList.build(**values)


def test_outcomes_are_exactly_the_designed_words():
    assert [o.value for o in Outcome] == [
        "valid",
        "expired",
        "not_yet_valid",
        "suspended",
        "revoked",
        "unknown_issuer",
        "bad_signature",
        "malformed",
        "stale_status",
    ]


# --- claims and their CBOR map ---------------------------------------------------------------

texts = st.text(min_size=1, max_size=40).filter(lambda t: len(t) <= 200)


@given(
    holder=texts,
    qualifications=st.lists(texts, max_size=5).map(tuple),
    issued=st.dates(dt.date(1970, 1, 1), dt.date(2100, 1, 1)),
    years=st.integers(0, 10),
    index=st.integers(0, 2**31 - 1),
    portrait=st.none() | st.binary(max_size=1024),
    seconds=st.none() | st.integers(0, 2**32),
)
def test_claims_survive_their_map(holder, qualifications, issued, years, index, portrait, seconds):
    valid_until = None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)
    original = claims(
        holder_name=holder,
        qualifications=qualifications,
        issued=issued,
        expires=issued + dt.timedelta(days=365 * years),
        status_index=index,
        portrait=portrait,
        valid_until=valid_until,
        signed=NOW.replace(microsecond=0),
    )
    assert claims_from_map(claims_to_map(original)) == original


def test_the_map_uses_small_integer_keys_and_omits_what_is_absent():
    printed = claims_to_map(claims(portrait_sha256=None))
    assert sorted(printed) == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]
    phone = claims_to_map(claims(portrait=b"\xff\xd8", valid_until=NOW + 5 * MINUTE))
    assert {8, 13, 14} <= set(phone)
    assert phone[9] == (dt.date(2024, 3, 1) - dt.date(1970, 1, 1)).days


def test_unknown_claims_are_ignored_for_later_versions():
    wire = claims_to_map(claims())
    assert claims_from_map({**wire, 99: "a later claim"}) == claims()


def test_a_credential_must_say_when_it_was_signed():
    with pytest.raises(ClaimsError, match="signed"):
        claims_to_map(claims(signed=None))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({1: 7}, "scheme"),
        ({2: ""}, "number"),
        ({5: "x" * 201}, "holder_name"),
        ({6: b"bytes"}, "occupation"),
        ({7: "not a list"}, "qualifications"),
        ({7: ["ok", 3]}, "qualification"),
        ({7: ["q"] * 21}, "qualifications"),
        ({8: b"short"}, "portrait_sha256"),
        ({9: -1}, "issued"),
        ({9: 10**30}, "issued"),
        ({9: "2024-03-01"}, "issued"),
        ({10: 1.5}, "expires"),
        ({10: 0}, "expires before"),
        ({11: 2**64}, "status_index"),
        ({11: -1}, "status_index"),
        ({11: True}, "status_index"),
        ({12: 2**70}, "signed"),
        ({13: "soon"}, "valid_until"),
        ({14: b"x" * 1025}, "portrait"),
        ({14: "not bytes"}, "portrait"),
    ],
)
def test_claims_of_the_wrong_type_or_range_are_malformed(change, message):
    with pytest.raises(ClaimsError, match=message):
        claims_from_map({**claims_to_map(claims()), **change})


@pytest.mark.parametrize("missing", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12])
def test_a_missing_claim_is_malformed(missing):
    wire = claims_to_map(claims())
    del wire[missing]
    with pytest.raises(ClaimsError, match="missing"):
        claims_from_map(wire)


@pytest.mark.parametrize("raw", [[], "text", 7, None, {"1": "ECS"}])
def test_claims_that_are_not_a_map_are_malformed(raw):
    with pytest.raises(MalformedCredential):
        claims_from_map(raw)


def test_claims_are_checked_when_built_too():
    with pytest.raises(ClaimsError, match="portrait_sha256"):
        claims(portrait_sha256="XYZ" * 20)
    with pytest.raises(ClaimsError, match="time zone"):
        claims(valid_until=dt.datetime(2026, 1, 1))
    with pytest.raises(ClaimsError, match="dates"):
        claims(issued=NOW)
    assert isinstance(ClaimsError("x"), InvalidInput)


# --- status lists ----------------------------------------------------------------------------


def test_a_status_list_is_a_most_significant_bit_first_bitstring():
    listed = fresh_list(revoked=[0, 9], suspended=[131_071])
    assert listed.bits[0] == 0x80 and listed.bits[1] == 0x40
    assert listed.entries == MIN_STATUS_ENTRIES == len(listed.bits) * 8
    assert listed.state_of(0) is ListedState.REVOKED
    assert listed.state_of(9) is ListedState.REVOKED
    assert listed.state_of(131_071) is ListedState.SUSPENDED
    assert listed.state_of(1) is ListedState.ACTIVE
    with pytest.raises(IndexError):
        listed.state_of(131_072)


def test_nothing_suspended_costs_no_second_plane():
    assert fresh_list(revoked=[5]).suspended == b""


def test_a_status_list_hides_the_checked_card_among_131072_entries():
    with pytest.raises(InvalidInput, match="131072"):
        StatusList("ECS", NOW, bytes(1024))
    with pytest.raises(InvalidInput, match="as long"):
        StatusList("ECS", NOW, bytes(16_384), suspended=bytes(10))


def test_a_status_list_is_stale_after_its_ttl():
    listed = fresh_list(issued=NOW - 2 * HOUR, ttl=3600)
    assert listed.is_stale(NOW)
    assert not listed.is_stale(NOW - HOUR - MINUTE)
    assert not fresh_list().is_stale(NOW)


# --- keys ------------------------------------------------------------------------------------


def test_a_retired_key_needs_the_end_of_its_window():
    with pytest.raises(InvalidInput, match="window"):
        key(status=KeyStatus.RETIRED)


def test_a_key_window_allows_the_clock_skew_either_side():
    retired = key(valid_from=NOW - 10 * DAY, valid_until=NOW - DAY, status=KeyStatus.RETIRED)
    assert retired.signed_in_window(NOW - 5 * DAY)
    assert retired.signed_in_window(NOW - DAY + CLOCK_SKEW)
    assert not retired.signed_in_window(NOW - DAY + CLOCK_SKEW + MINUTE)
    assert retired.signed_in_window(NOW - 10 * DAY - CLOCK_SKEW)
    assert not retired.signed_in_window(NOW - 10 * DAY - CLOCK_SKEW - MINUTE)


# --- the decision ----------------------------------------------------------------------------


def test_a_good_card_is_valid_with_its_claims_and_key():
    result = decide(claims(), key(), fresh_list(), NOW)
    assert result.valid and result.outcome is Outcome.VALID
    assert result.claims == claims() and result.key_id == "k1"
    assert result.warnings == () and result.reasons == ()


def test_expiring_within_90_days_is_valid_with_a_warning():
    result = decide(claims(expires=NOW.date() + 90 * DAY), key(), fresh_list(), NOW)
    assert result.valid and result.warnings == (EXPIRING_SOON,)
    assert "expires on" in result.reasons[0]
    later = decide(claims(expires=NOW.date() + 91 * DAY), key(), fresh_list(), NOW)
    assert later.warnings == ()


def decided(card=None, trusted=None, listed=None, now=NOW, *, no_list=False):
    listed = None if no_list else (listed or fresh_list())
    return decide(card or claims(), trusted or key(), listed, now)


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        (lambda: decide(claims(), None, fresh_list(), NOW), Outcome.BAD_SIGNATURE),
        (lambda: decided(trusted=key(scheme="CSCS")), Outcome.UNKNOWN_ISSUER),
        (
            lambda: decided(
                trusted=key(
                    valid_from=NOW - 900 * DAY, valid_until=NOW - 30 * DAY, status="retired"
                )
            ),
            Outcome.UNKNOWN_ISSUER,
        ),
        (lambda: decided(trusted=key(valid_from=NOW)), Outcome.UNKNOWN_ISSUER),
        (lambda: decided(claims(expires=NOW.date() - DAY)), Outcome.EXPIRED),
        (lambda: decided(claims(issued=NOW.date() + DAY)), Outcome.NOT_YET_VALID),
        (lambda: decided(claims(signed=NOW + 6 * MINUTE)), Outcome.NOT_YET_VALID),
        (lambda: decided(listed=fresh_list(revoked=[42])), Outcome.REVOKED),
        (lambda: decided(listed=fresh_list(suspended=[42])), Outcome.SUSPENDED),
        (lambda: decided(listed=fresh_list(issued=NOW - 2 * DAY)), Outcome.STALE_STATUS),
        (lambda: decided(no_list=True), Outcome.STALE_STATUS),
        (lambda: decided(listed=fresh_list(scheme="CSCS")), Outcome.STALE_STATUS),
        (lambda: decided(claims(status_index=200_000)), Outcome.STALE_STATUS),
        (
            lambda: decided(listed=fresh_list(issued=NOW - 2 * DAY, revoked=[42])),
            Outcome.REVOKED,
        ),
        (
            lambda: decided(listed=fresh_list(issued=NOW - 2 * DAY, suspended=[42])),
            Outcome.STALE_STATUS,
        ),
        (
            lambda: decided(claims(valid_until=NOW - CLOCK_SKEW - MINUTE)),
            Outcome.EXPIRED,
        ),
        (
            lambda: decided(claims(expires=NOW.date() - DAY), listed=fresh_list(revoked=[42])),
            Outcome.REVOKED,
        ),
    ],
)
def test_each_failure_has_its_outcome_and_a_reason(case, outcome):
    result = case()
    assert result.outcome is outcome
    assert not result.valid
    assert result.reasons and all(reason.endswith(".") for reason in result.reasons)
    if outcome in (Outcome.BAD_SIGNATURE, Outcome.UNKNOWN_ISSUER):
        assert result.claims is None  # nothing unvouched-for is shown


def test_five_minutes_of_clock_skew_are_tolerated():
    midnight = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    almost = midnight - CLOCK_SKEW + MINUTE
    then = fresh_list(issued=almost - HOUR)
    assert decided(claims(issued=midnight.date(), signed=midnight), listed=then, now=almost).valid
    assert decided(claims(signed=NOW + 4 * MINUTE)).valid
    assert decided(claims(valid_until=NOW - 4 * MINUTE)).valid
    end_of_expiry_day = dt.datetime(2027, 3, 2, tzinfo=dt.UTC) + 4 * MINUTE
    assert decided(now=end_of_expiry_day, listed=fresh_list(issued=end_of_expiry_day)).valid
    too_early = midnight - CLOCK_SKEW - MINUTE
    result = decided(claims(issued=midnight.date(), signed=midnight), now=too_early)
    assert result.outcome is Outcome.NOT_YET_VALID


def test_a_naive_now_is_taken_as_utc():
    assert decided(now=NOW.replace(tzinfo=None)).valid


def test_a_retired_key_still_vouches_for_what_it_signed_while_current():
    retired = key(valid_from=NOW - 900 * DAY, valid_until=NOW - 30 * DAY, status="retired")
    signed_then = claims(signed=NOW - 400 * DAY)
    assert decided(signed_then, trusted=retired).valid


def test_claims_keep_their_presentation():
    assert claims().presentation == "printed"
    assert dataclasses.replace(claims(), valid_until=NOW).presentation == "phone"
