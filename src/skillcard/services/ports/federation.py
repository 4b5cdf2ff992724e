"""Ports of federation: the card change feed and the schemes' webhooks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from skillcard.domain.card_changes import FeedScope


@dataclass(frozen=True)
class CardFacts:
    """What a feed entry says of a card, read in one query for many cards."""

    card_id: int
    scheme_id: int
    scheme: str
    number: str
    card_type: str
    status: str
    issued_on: dt.date
    expires_on: dt.date
    holder_name: str


@dataclass(frozen=True)
class StoredChange:
    id: int
    card_id: int
    scheme_id: int
    kind: str
    occurred_at: dt.datetime
    entry: dict[str, Any]


@dataclass(frozen=True)
class NewChange:
    card_id: int
    scheme_id: int
    kind: str
    occurred_at: dt.datetime
    entry: dict[str, Any]
    once: str | None = None


@dataclass(frozen=True)
class SchemeWebhook:
    scheme_id: int
    url: str
    secret: str


class CardChanges(Protocol):
    def hold_append_turn(self) -> None:
        """Wait for, then hold until this transaction ends, the one turn to append (see
        services/federation/change_feed.py for why)."""
        ...

    def append(self, changes: Sequence[NewChange]) -> list[int]: ...
    def facts(self, card_ids: Sequence[int]) -> dict[int, CardFacts]: ...
    def already(self, keys: Sequence[str]) -> set[str]: ...
    def after(self, after_id: int, limit: int, scope: FeedScope) -> list[StoredChange]: ...
    def cards_of_holder(self, cardholder_id: int) -> list[int]: ...
    def nearing_expiry(
        self, first: dt.date, last: dt.date, after_id: int, limit: int
    ) -> list[tuple[int, dt.date]]: ...
    def business_subscribers(self, card_ids: Sequence[int]) -> dict[int, list[int]]:
        """card id -> the businesses with a webhook whose workforce holds it."""
        ...


class SchemeWebhooks(Protocol):
    def get(self, scheme_id: int) -> SchemeWebhook | None: ...
    def put(self, scheme_id: int, url: str, secret: str, now: dt.datetime) -> None: ...
    def remove(self, scheme_id: int) -> None: ...
    def with_webhooks(self, scheme_ids: Sequence[int]) -> set[int]: ...
