"""Ports of the open-standard credentials: badge status entries and share links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class BadgeEntry:
    id: int
    public_id: str
    cardholder_id: int
    kind: str
    subject: str
    status_index: int
    claimed_minutes: int | None
    issued_at: dt.datetime


@dataclass(frozen=True)
class ShareLink:
    id: int
    token: str
    cardholder_id: int
    kind: str
    subject: str
    title: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    views: int
    last_viewed_at: dt.datetime | None


class BadgeEntries(Protocol):
    def find(self, cardholder_id: int, kind: str, subject: str) -> BadgeEntry | None: ...
    def by_public_id(self, public_id: str) -> BadgeEntry | None: ...
    def by_index(self, index: int) -> BadgeEntry | None: ...
    def add(self, **values: Any) -> bool: ...
    def set_claim(self, entry_id: int, minutes: int) -> None: ...
    def all(self) -> list[BadgeEntry]: ...


class ShareLinks(Protocol):
    def add(self, **values: Any) -> int: ...
    def get(self, share_id: int) -> ShareLink | None: ...
    def by_token(self, token: str) -> ShareLink | None: ...
    def of_cardholder(self, cardholder_id: int) -> list[ShareLink]: ...
    def revoke(self, share_id: int, now: dt.datetime) -> None: ...
    def count_view(self, share_id: int, now: dt.datetime) -> None: ...
