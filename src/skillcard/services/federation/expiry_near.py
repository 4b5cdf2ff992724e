"""The ``expiry_near`` announcements: once a day, each active card whose expiry has come
within 90 days, then within 30 (domain/card_changes.EXPIRY_NEAR_DAYS), gets one entry on the
feed per threshold and per expiry date, however often the job runs, and whichever process
runs it (the entry's once-only key is unique, and checked while holding the feed's turn)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from skillcard.domain.calendar import card_day
from skillcard.domain.card_changes import (
    EXPIRY_NEAR_DAYS,
    ChangeKind,
    expiry_key,
    expiry_threshold,
)
from skillcard.services.federation.change_feed import Change, publish
from skillcard.services.unit_of_work import AbstractUnitOfWork


def announce_expiry_near(
    *, uow_factory: Callable[[], AbstractUnitOfWork], now: dt.datetime, batch: int = 500
) -> int:
    """Publish the announcements due on ``now``'s card day; how many (each batch of cards in
    its own transaction)."""
    today = card_day(now)
    last = today + dt.timedelta(days=max(EXPIRY_NEAR_DAYS))
    after, published = 0, 0
    while True:
        with uow_factory() as uow:
            cards = uow.card_changes.nearing_expiry(today, last, after, batch)
            if not cards:
                return published
            after = cards[-1][0]
            due: dict[str, Change] = {}
            for card_id, expires_on in cards:
                days = expiry_threshold(today, expires_on)
                if days is None:
                    continue
                key = expiry_key(card_id, expires_on, days)
                detail = {"within_days": days, "days_left": (expires_on - today).days}
                due[key] = Change(card_id, ChangeKind.EXPIRY_NEAR, detail, once=key)
            uow.card_changes.hold_append_turn()  # no other run may announce between check and write
            done = uow.card_changes.already(list(due))
            published += len(publish(uow, [c for k, c in due.items() if k not in done], now))
            uow.commit()
