"""A card's status at a past moment, and a status list's entry as it stood then: what a check
made offline is judged by when it reaches the server (issue 3, item 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillcard.domain.cards import (
    TRANSITIONS,
    Action,
    CardChange,
    CardFacts,
    CardStatus,
    as_it_stood,
)
from skillcard.domain.trust import ListedState, StatusList, listed_state

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
ACTIVE, SUSPENDED, REVOKED = CardStatus.ACTIVE, CardStatus.SUSPENDED, CardStatus.REVOKED
ISSUED, EXPIRES = dt.date(2024, 3, 1), dt.date(2027, 2, 28)


def card(status=REVOKED, issued=ISSUED, expires=EXPIRES) -> CardFacts:
    return CardFacts(status, issued, expires, number="ECS12345678", id=7)


def change(at, before, _after=None, *, expires=EXPIRES, issued=ISSUED) -> CardChange:
    # what the change made of the card (_after) is for the reader: the trail's "before" counts
    return CardChange(at, before, expires, issued)


def test_with_no_changes_the_card_stood_as_it_is():
    assert as_it_stood(card(), [], T0) == card()


def test_a_change_after_the_moment_gives_the_card_it_found():
    revoked_later = [change(T0 + HOUR, ACTIVE, REVOKED)]
    assert as_it_stood(card(), revoked_later, T0).status is ACTIVE
    assert as_it_stood(card(), revoked_later, T0 + 2 * HOUR).status is REVOKED
    assert as_it_stood(card(), revoked_later, T0 + HOUR).status is REVOKED  # from its moment on


def test_a_renewal_since_gives_back_the_old_validity_and_expiry():
    renewed = card(ACTIVE, issued=dt.date(2027, 1, 10), expires=dt.date(2032, 1, 10))
    renewal = change(T0 + HOUR, ACTIVE, issued=ISSUED, expires=EXPIRES)
    then = as_it_stood(renewed, [renewal], T0)
    assert (then.status, then.issued_on, then.expires_on) == (ACTIVE, ISSUED, EXPIRES)
    assert (then.number, then.id) == (renewed.number, renewed.id)
    unrecorded = CardChange(T0 + HOUR, ACTIVE, EXPIRES, issued_before=None)
    assert as_it_stood(renewed, [unrecorded], T0).issued_on == renewed.issued_on


def test_the_first_change_after_the_moment_counts_in_whatever_order_they_come():
    changes = [
        change(T0 + 3 * HOUR, SUSPENDED, REVOKED),
        change(T0 + HOUR, ACTIVE, SUSPENDED),
        change(T0 + 2 * HOUR, SUSPENDED, ACTIVE),
        change(T0 + 2 * HOUR + dt.timedelta(minutes=30), ACTIVE, SUSPENDED),
    ]
    assert [as_it_stood(card(), changes, T0 + k * HOUR / 2).status for k in range(8)] == [
        ACTIVE, ACTIVE, SUSPENDED, SUSPENDED, ACTIVE, SUSPENDED, REVOKED, REVOKED,
    ]  # fmt: skip


STATUS_ACTIONS = sorted({a for (_s, a) in TRANSITIONS} - {Action.RENEW, Action.REPLACE})


@given(st.lists(st.sampled_from(STATUS_ACTIONS), max_size=12), st.data())
def test_any_history_of_legal_changes_is_read_back_at_every_moment(actions, data):
    status, changes, history = ACTIVE, [], [(T0, ACTIVE)]
    moment = T0
    for action in actions:
        after = TRANSITIONS.get((status, action))
        if after is None:
            continue
        moment += dt.timedelta(minutes=data.draw(st.integers(1, 600)))
        changes.append(change(moment, status, after))
        history.append((moment, after))
        status = after
    now = card(status)
    ends = [at for at, _status in history[1:]] + [None]
    for (since, expected), until in zip(history, ends, strict=True):
        assert as_it_stood(now, changes, since).status == expected
        if until is not None:
            assert as_it_stood(now, changes, until - dt.timedelta(seconds=1)).status == expected


def test_each_status_has_its_entry_and_a_replaced_card_counts_as_revoked():
    assert [listed_state(s) for s in CardStatus] == [
        ListedState.ACTIVE, ListedState.SUSPENDED, ListedState.REVOKED, ListedState.REVOKED,
    ]  # fmt: skip
    assert listed_state("suspended") is ListedState.SUSPENDED  # as read from a row


def test_a_list_with_one_entry_as_it_stood_leaves_the_list_and_the_other_entries_alone():
    now = StatusList.build(scheme="ECS", issued=T0, revoked=[7, 8], suspended=[9])
    before = now.with_state(7, ListedState.ACTIVE)
    assert [before.state_of(i) for i in (6, 7, 8, 9)] == [
        ListedState.ACTIVE, ListedState.ACTIVE, ListedState.REVOKED, ListedState.SUSPENDED,
    ]  # fmt: skip
    assert now.state_of(7) is ListedState.REVOKED
    assert (before.scheme, before.issued, before.ttl, before.entries) == (
        now.scheme, now.issued, now.ttl, now.entries,
    )  # fmt: skip
    assert now.with_state(9, ListedState.REVOKED).state_of(9) is ListedState.REVOKED
    assert now.with_state(9, ListedState.ACTIVE).suspended == b""  # nothing suspended is left
    suspended = now.with_state(6, ListedState.SUSPENDED)
    assert suspended.state_of(6) is ListedState.SUSPENDED
    assert suspended.with_state(6, ListedState.ACTIVE).bits == now.bits


@pytest.mark.parametrize("index", [-1, 131_072, 10**9])
def test_an_entry_outside_the_list_cannot_be_set(index):
    with pytest.raises(IndexError):
        StatusList.build(scheme="ECS", issued=T0).with_state(index, ListedState.REVOKED)
