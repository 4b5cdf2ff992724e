"""Ports of card provenance (where each card came from) and of suspect card reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from skillcard.domain.cards import CardStatus
from skillcard.domain.provenance import Source
from skillcard.domain.suspect_reports import SuspectReport


@dataclass(frozen=True)
class SourcedCard:
    """A card that came through a source, with what telling its holder needs."""

    card_id: int
    number: str
    status: CardStatus
    holder_name: str
    holder_email: str | None


@dataclass(frozen=True)
class HoldingBusiness:
    """A business whose workforce list holds some of the cards in question."""

    business_id: int
    name: str
    card_ids: tuple[int, ...]


class CardSources(Protocol):
    def add(self, card_id: int, source: Source, recorded_at: dt.datetime) -> None: ...
    def add_many(self, rows: Iterable[tuple[int, Source]], recorded_at: dt.datetime) -> int: ...
    def of_card(self, card_id: int) -> list[Source]: ...
    def count_from(
        self, scheme_id: int, kind: str, reference: str, statuses: Sequence[CardStatus]
    ) -> int: ...
    def cards_from(
        self,
        scheme_id: int,
        kind: str,
        reference: str,
        statuses: Sequence[CardStatus],
        *,
        limit: int | None = ...,
        lock: bool = ...,
    ) -> list[SourcedCard]: ...
    def set_status(
        self,
        card_ids: Sequence[int],
        status: CardStatus,
        reason: str,
        only_from: Sequence[CardStatus],
    ) -> int: ...
    def businesses_holding(self, card_ids: Sequence[int]) -> list[HoldingBusiness]: ...


class SuspectReports(Protocol):
    def add(self, report: SuspectReport) -> None: ...
    def by_receipt(self, receipt: str) -> SuspectReport | None: ...
    def open_of_scheme(self, scheme_id: int, limit: int = ...) -> list[SuspectReport]: ...
