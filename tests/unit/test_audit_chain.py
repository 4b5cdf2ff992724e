"""The audit chain: an intact log verifies, and any change, deletion or re-ordering is named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from skillcard.domain.audit import GENESIS, AuditEvent, BrokenLink, first_broken_link
from skillcard.domain.audit_checkpoints import Anchor, anchor_of, first_unanchored, statement

T0 = dt.datetime(2025, 1, 6, 9, 30, 15, 123456, tzinfo=dt.UTC)
N = 5


def seal_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """What the log does on writing: number each event and link it to the one before."""
    previous = GENESIS
    for seq, event in enumerate(events, start=1):
        event.seal(seq=seq, prev_hash=previous)
        previous = event.hash
    return events


def a_chain(n: int = N) -> list[AuditEvent]:
    return seal_all(
        [
            AuditEvent(
                occurred_at=T0 + dt.timedelta(minutes=i),
                actor=f"admin{i}@example.test",
                action="card.suspend",
                entity_type="card",
                entity_id=f"ECS0000001{i}",
                reason=f"reason {i}",
                detail={"before": {"status": "active"}, "after": {"status": "suspended"}, "n": i},
            )
            for i in range(n)
        ]
    )


def copy(event: AuditEvent) -> AuditEvent:
    return dataclasses.replace(event, detail=dict(event.detail))


def test_sealing_numbers_the_events_and_links_each_to_the_one_before():
    events = a_chain()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert all(len(e.hash) == 64 and int(e.hash, 16) >= 0 for e in events)
    assert len({e.hash for e in events}) == N


def test_an_intact_chain_has_no_broken_link():
    assert first_broken_link(a_chain()) is None


def test_an_empty_log_has_no_broken_link():
    assert first_broken_link([]) is None


def test_the_same_content_sealed_at_another_place_hashes_differently():
    first = AuditEvent(T0, "cli", "user.add", "user", "1")
    second = copy(first)
    first.seal(seq=1, prev_hash=GENESIS)
    second.seal(seq=2, prev_hash=GENESIS)
    assert first.hash != second.hash


ALTERATIONS = {
    "reason": lambda e: setattr(e, "reason", e.reason + "."),
    "detail": lambda e: e.detail["after"].update(status="active"),
    "detail key added": lambda e: e.detail.update(note="added later"),
    "actor": lambda e: setattr(e, "actor", "someone.else@example.test"),
    "occurred_at": lambda e: setattr(
        e, "occurred_at", e.occurred_at + dt.timedelta(microseconds=1)
    ),
    "action": lambda e: setattr(e, "action", "card.reinstate"),
    "entity_type": lambda e: setattr(e, "entity_type", "cardholder"),
    "entity_id": lambda e: setattr(e, "entity_id", "ECS00000026"),
    "hash": lambda e: setattr(e, "hash", "f" * 64),
}


@pytest.mark.parametrize("k", range(1, N + 1))
@pytest.mark.parametrize("field", list(ALTERATIONS))
def test_altering_an_event_reports_it_as_altered(field, k):
    events = a_chain()
    ALTERATIONS[field](events[k - 1])
    assert first_broken_link(events) == BrokenLink(
        k, "its content was altered after it was written"
    )


@pytest.mark.parametrize("k", range(1, N))
def test_an_altered_event_sealed_again_breaks_the_link_after_it(k):
    events = a_chain()
    events[k - 1].reason = "rewritten"
    events[k - 1].seal(seq=k, prev_hash=events[k - 1].prev_hash)
    broken = first_broken_link(events)
    assert broken == BrokenLink(k + 1, "its link to the event before does not match")


@pytest.mark.parametrize(
    "k", range(1, N)
)  # the last can only be missed against a count kept elsewhere
def test_deleting_an_event_reports_it_missing(k):
    events = a_chain()
    del events[k - 1]
    assert first_broken_link(events) == BrokenLink(k, f"event {k} is missing")


@pytest.mark.parametrize("k", range(1, N))
def test_swapping_two_events_is_reported_at_the_first(k):
    events = a_chain()
    events[k - 1], events[k] = events[k], events[k - 1]
    assert first_broken_link(events) == BrokenLink(k, f"event {k} is missing")


@pytest.mark.parametrize("k", range(1, N))
def test_swapping_two_events_and_their_numbers_is_reported_at_the_first(k):
    events = a_chain()
    events[k - 1], events[k] = events[k], events[k - 1]
    events[k - 1].seq, events[k].seq = k, k + 1
    broken = first_broken_link(events)
    assert broken is not None and broken.seq == k


def test_renumbering_an_event_is_seen():
    events = a_chain()
    events[2].seq = 7
    assert first_broken_link(events) == BrokenLink(3, "event 3 is missing")


def test_a_naive_datetime_hashes_as_utc():
    # SQLite hands stored datetimes back without a zone; they are UTC.
    aware = AuditEvent(T0, "cli", "user.add", "user", "1")
    naive = AuditEvent(T0.replace(tzinfo=None), "cli", "user.add", "user", "1")
    london_summer = AuditEvent(
        T0.astimezone(dt.timezone(dt.timedelta(hours=1))), "cli", "user.add", "user", "1"
    )
    assert aware.content() == naive.content() == london_summer.content()
    assert aware.compute_hash() == naive.compute_hash() == london_summer.compute_hash()


def test_a_chain_read_back_with_naive_times_still_holds():
    events = a_chain()
    for event in events:
        event.occurred_at = event.occurred_at.replace(tzinfo=None)
    assert first_broken_link(events) is None


def test_a_naive_time_that_differs_from_the_utc_one_is_an_alteration():
    events = a_chain()
    local = events[1].occurred_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    events[1].occurred_at = local.replace(tzinfo=None)  # local wall time, read as UTC
    assert first_broken_link(events) == BrokenLink(
        2, "its content was altered after it was written"
    )


def test_the_order_of_keys_in_detail_does_not_matter():
    # PostgreSQL's JSONB hands keys back in its own order.
    events = a_chain()
    for event in events:
        event.detail = dict(reversed(list(event.detail.items())))
    assert first_broken_link(events) is None


# Issue 14: checkpoints anchor the chain outside the database.
def test_a_checkpoint_statement_from_outside_is_read_warily():
    good = statement(seq=5, hash="a" * 64, time=dt.datetime(2026, 12, 6, tzinfo=dt.UTC), kid="k")
    assert anchor_of(good, "file").seq == 5
    for bad in (
        {**good, "seq": True},
        {**good, "seq": 0},
        {**good, "hash": "A" * 64},
        {**good, "kid": ["k"]},
        {**good, "time": "yesterday"},
        {**good, "type": "skillcard-trust-list"},
        "not an object",
    ):
        with pytest.raises(ValueError):
            anchor_of(bad, "file")


def test_the_first_checkpoint_the_chain_no_longer_matches_is_named():
    anchors = [Anchor(3, "c", "t", "file"), Anchor(6, "f", "t", "file")]
    assert first_unanchored(anchors, {3: "c", 6: "f"}, 7) is None
    assert first_unanchored(anchors, {3: "c", 6: "x"}, 7).seq == 6
    assert first_unanchored(anchors, {3: "c"}, 4).seq == 5  # cut below event 6
