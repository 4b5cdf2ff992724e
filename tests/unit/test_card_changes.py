"""The change feed's rules without a database: cursors, who reads what, expiry thresholds."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.card_changes import (
    FeedScope,
    decode_cursor,
    encode_cursor,
    entry_of,
    expiry_key,
    expiry_threshold,
    feed_scope,
    page_size,
    pairs_of,
)
from skillcard.errors import BadCursor, InvalidInput, PermissionDenied


@given(st.integers(min_value=0, max_value=2**63))
def test_a_cursor_gives_back_its_position(position):
    assert decode_cursor(encode_cursor(position)) == position


@given(st.text(max_size=40))
def test_any_other_text_is_a_bad_cursor_or_one_the_feed_gave(text):
    try:
        position = decode_cursor(text)
    except BadCursor:
        return
    assert text == "" or encode_cursor(position) == text


def test_no_cursor_is_the_start():
    assert decode_cursor(None) == decode_cursor("") == 0


def test_who_reads_what():
    hub = Principal("hub", Role.HUB_ADMIN)
    ecs = Principal("ecs", Role.SCHEME_ADMIN, scheme_id=1)
    biz = Principal("biz", Role.BUSINESS_CHECKER, business_id=7)
    assert feed_scope(hub, None) == FeedScope()
    assert feed_scope(hub, 2) == FeedScope(scheme_id=2)
    assert feed_scope(ecs, None) == feed_scope(ecs, 1) == FeedScope(scheme_id=1)
    assert feed_scope(biz, 2) == FeedScope(scheme_id=2, business_id=7)
    with pytest.raises(PermissionDenied):
        feed_scope(ecs, 2)
    for role in (Role.CARDHOLDER, Role.INVIGILATOR, Role.ASSESSOR):
        with pytest.raises(PermissionDenied):
            feed_scope(Principal("x", role, scheme_id=1, cardholder_id=1), None)


def test_expiry_thresholds():
    today = dt.date(2026, 12, 6)
    days = [expiry_threshold(today, today + dt.timedelta(days=n)) for n in (-1, 0, 30, 31, 90, 91)]
    assert days == [None, 30, 30, 90, 90, None]
    assert expiry_key(5, today, 30) != expiry_key(5, today + dt.timedelta(days=1), 30)


def test_pages_and_kinds_are_checked():
    assert page_size(None) == 100 and page_size(1000) == 1000
    for bad in (0, 1001, -5):
        with pytest.raises(InvalidInput):
            page_size(bad)
    assert pairs_of([(1, "status"), (2, "issued"), (1, "status")]) == [(1, "status"), (2, "issued")]
    with pytest.raises(ValueError):
        pairs_of([(1, "deleted")])
    with pytest.raises(ValueError):
        entry_of(
            kind="nope", scheme="ECS", card_number="1", card_type="G", status="active",
            issued_on=dt.date.today(), expires_on=dt.date.today(), holder_name="A B",
        )  # fmt: skip
