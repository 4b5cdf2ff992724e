"""Port of the outbox: mail and other messages written in the transaction that causes them."""

from __future__ import annotations

from typing import Protocol

from skillcard.domain.outbox import OutboxMessage


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None: ...
    def has_dedupe_key(self, key: str) -> bool: ...
    def pending(self, limit: int) -> list[OutboxMessage]: ...
    def recent(self, limit: int, to_address: str | None = ...) -> list[OutboxMessage]: ...
