"""Ports of the scheme connector: the cards and holders a batch of records reads and writes
(set-based, a batch at a time), and card imports with their per-row results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from skillcard.domain.card_records import StoredCard


@dataclass(frozen=True)
class HolderOnRecord:
    id: int
    given_names: str
    surname: str
    date_of_birth: dt.date | None


@dataclass(frozen=True)
class CardImport:
    """A file of records being applied, and what came of it."""

    id: str
    scheme_id: int
    created_by: str
    created_at: dt.datetime
    filename: str
    format: str
    snapshot: bool = False
    dry_run: bool = False
    status: str = "queued"  # queued, checking, applying, done, refused, failed
    total_rows: int = 0
    checked_rows: int = 0
    done_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    missing: int | None = None
    message: str = ""
    finished_at: dt.datetime | None = None

    @property
    def ended(self) -> bool:
        return self.status in ("done", "refused", "failed")


@dataclass(frozen=True)
class ImportRow:
    line: int
    number: str
    outcome: str
    reason: str
    card_id: int | None


class CardRecords(Protocol):
    def stored(self, scheme_id: int, numbers: list[str]) -> dict[str, StoredCard]: ...
    def holders(self, scheme_id: int, refs: list[str]) -> dict[str, HolderOnRecord]: ...
    def add_holders(self, scheme_id: int, rows: list[dict[str, Any]]) -> list[int]: ...
    def update_holders(self, scheme_id: int, rows: list[dict[str, Any]]) -> None: ...
    def add_cards(self, rows: list[dict[str, Any]]) -> list[int]: ...
    def update_cards(self, rows: list[dict[str, Any]]) -> None: ...
    def listed_cards(self, scheme_id: int) -> Iterator[tuple[int, str]]: ...
    def revoke(self, card_ids: list[int], reason: str) -> None: ...


class CardImports(Protocol):
    def add(self, card_import: CardImport) -> None: ...
    def get(self, import_id: str) -> CardImport | None: ...
    def update(self, import_id: str, **values: Any) -> None: ...
    def recent(self, scheme_id: int, limit: int = ...) -> list[CardImport]: ...
    def add_rows(self, import_id: str, rows: list[ImportRow]) -> None: ...
    def drop_rows(self, import_id: str) -> None: ...
    def rows(self, import_id: str) -> Iterator[ImportRow]: ...
    def changed_cards(self, import_id: str) -> list[tuple[int, str]]: ...
