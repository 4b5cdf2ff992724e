"""The change feed's order with real concurrent PostgreSQL transactions: a transaction that
publishes after another waits for its turn, so ids become visible in order and a reader
following the cursor never passes an entry still to come (see change_feed's docstring).
SQLite has one writer at a time, which gives that order by itself."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
import sqlalchemy as sa

from skillcard.adapters.db.feed_repositories import APPEND_TURN_KEY
from skillcard.domain.card_changes import decode_cursor
from skillcard.services.federation import change_feed
from tests.factories import OPERATOR


@pytest.fixture
def postgres(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: its order needs no turn")
    return engine


def _card_ids(uow_factory, registry) -> list[int]:
    with uow_factory() as uow:
        return [
            uow.cards.by_number(uow.schemes.resolve(n, None)[0].id, n).id
            for n in registry.cards.values()
        ]


def _waiting_for_the_turn(engine) -> bool:
    """A transaction of this database waits for the feed's turn (pg_locks is the cluster's:
    the key and the database keep other tests' locks out of it)."""
    query = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND objsubid = 1 AND classid = 0 AND objid = :key"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with engine.connect() as connection:
        return connection.scalar(sa.text(query), {"key": APPEND_TURN_KEY}) > 0


def test_a_later_transaction_waits_for_the_earlier_one_to_commit(postgres, registry, uow_factory):
    first_card, second_card, _ = _card_ids(uow_factory, registry)
    start = change_feed.read_changes(uow=uow_factory(), who=OPERATOR).next
    now = dt.datetime.now(dt.UTC)
    done = threading.Event()

    def second() -> None:
        with uow_factory() as uow:
            change_feed.publish_card_changes(uow, [(second_card, "status")], now)
            uow.commit()
        done.set()

    with uow_factory() as uow:
        change_feed.publish_card_changes(uow, [(first_card, "status")], now)
        other = threading.Thread(target=second)
        other.start()
        deadline = time.monotonic() + 20
        while not _waiting_for_the_turn(postgres) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_for_the_turn(postgres) and not done.is_set()
        # Meanwhile a reader sees neither: the first is not committed, the second not drawn.
        assert change_feed.read_changes(uow=uow_factory(), who=OPERATOR, after=start).changes == []
        uow.commit()
    other.join(20)
    assert done.is_set()
    seen = change_feed.read_changes(uow=uow_factory(), who=OPERATOR, after=start).changes
    assert [c.card_id for c in seen] == [first_card, second_card]
    assert decode_cursor(seen[0].cursor) < decode_cursor(seen[1].cursor)


def test_a_reader_following_the_cursor_sees_every_entry_of_concurrent_writers_once(
    postgres, registry, uow_factory
):
    card_ids = _card_ids(uow_factory, registry)
    start = change_feed.read_changes(uow=uow_factory(), who=OPERATOR).next
    writers, each = 4, 15
    finished = threading.Event()
    errors: list[BaseException] = []

    def write(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(each):
                with uow_factory() as uow:
                    card = rng.choice(card_ids)
                    change_feed.publish_card_changes(
                        uow, [(card, "status")], dt.datetime.now(dt.UTC)
                    )
                    time.sleep(rng.random() * 0.01)  # commit late: where an unordered feed skips
                    uow.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    seen: list[int] = []

    def read() -> None:
        cursor = start
        while True:
            last_round = finished.is_set()
            page = change_feed.read_changes(uow=uow_factory(), who=OPERATOR, after=cursor)
            seen.extend(decode_cursor(c.cursor) for c in page.changes)
            cursor = page.next
            if last_round and not page.changes:
                return

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    finished.set()
    reader.join(60)
    assert errors == []
    everything = [
        decode_cursor(c.cursor)
        for c in change_feed.read_changes(
            uow=uow_factory(), who=OPERATOR, after=start, limit=1000
        ).changes
    ]
    assert len(everything) == writers * each
    assert seen == everything  # every one, once, in order
