"""Repositories of card provenance and suspect card reports. They never commit.

A revocation by provenance may touch 50,000 cards: they are read in one query, changed by
set-based UPDATEs over chunks of ids, and the businesses holding them found in grouped
queries; no card is loaded as an object.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, registry

from skillcard.adapters.db import tables
from skillcard.adapters.db import tables_business as tb
from skillcard.adapters.db.check_repositories import insert_many
from skillcard.adapters.db.dialect import among, written
from skillcard.adapters.db.repositories import _Repository
from skillcard.adapters.db.tables_provenance import card_provenance, suspect_reports
from skillcard.domain.cards import Card, CardStatus
from skillcard.domain.provenance import Source, SourceKind
from skillcard.domain.suspect_reports import ReportState, SuspectReport
from skillcard.services.ports.provenance import HoldingBusiness, SourcedCard
from skillcard.services.unit_of_work import AbstractUnitOfWork

P = card_provenance.c


def map_classes(mapper_registry: registry) -> None:
    mapper_registry.map_imperatively(SuspectReport, suspect_reports)


def attach(uow: AbstractUnitOfWork, session: Session) -> None:
    uow.card_sources = CardSourceRepository(session)
    uow.suspect_reports = SuspectReportRepository(session)


class CardSourceRepository(_Repository):
    def add(self, card_id: int, source: Source, recorded_at: dt.datetime) -> None:  # type: ignore[override]
        self.add_many([(card_id, source)], recorded_at)

    def add_many(self, rows: Iterable[tuple[int, Source]], recorded_at: dt.datetime) -> int:
        """Record many cards' sources in one write (COPY on PostgreSQL): what an import
        calls once its cards are merged. A card's same source twice is one row."""
        seen: set[tuple[int, str, str]] = set()
        values = []
        for card_id, source in rows:
            key = (card_id, source.kind.value, source.reference)
            if key in seen:
                continue
            seen.add(key)
            values.append(
                {
                    "card_id": card_id,
                    "kind": source.kind.value,
                    "reference": source.reference,
                    "name": source.name,
                    "recorded_at": recorded_at,
                }
            )
        if values:
            self.session.flush()  # the cards the rows point at
            insert_many(self.session, card_provenance, values)
        return len(values)

    def of_card(self, card_id: int) -> list[Source]:
        rows = self.session.execute(
            sa.select(P.kind, P.reference, P.name).where(P.card_id == card_id).order_by(P.id)
        )
        return [Source(SourceKind(row.kind), row.reference, row.name) for row in rows]

    def _matching(self, scheme_id: int, kind: str, reference: str, statuses) -> sa.ColumnElement:
        c = tables.cards.c
        came_through = sa.select(P.card_id).where(P.kind == kind, P.reference == reference)
        return sa.and_(
            c.scheme_id == scheme_id,
            c.status.in_([CardStatus(s) for s in statuses]),
            c.id.in_(came_through),
        )

    def count_from(self, scheme_id: int, kind: str, reference: str, statuses) -> int:
        where = self._matching(scheme_id, kind, reference, statuses)
        return int(self.session.scalar(sa.select(sa.func.count()).where(where)) or 0)

    def cards_from(
        self,
        scheme_id: int,
        kind: str,
        reference: str,
        statuses,
        *,
        limit: int | None = None,
        lock: bool = False,
    ) -> list[SourcedCard]:
        """The scheme's cards of that source in those statuses, by number; locked (on
        PostgreSQL) until the transaction ends when about to change them."""
        self.session.flush()
        c, h = tables.cards.c, tables.cardholders.c
        query = (
            sa.select(c.id, c.number, c.status, h.given_names, h.surname, h.email)
            .join(tables.cardholders, h.id == c.cardholder_id)
            .where(self._matching(scheme_id, kind, reference, statuses))
            .order_by(c.number)
            .limit(limit)
        )
        if lock:
            query = query.with_for_update(of=tables.cards)
        return [
            SourcedCard(
                row.id,
                row.number,
                CardStatus(row.status),
                f"{row.given_names} {row.surname}",
                row.email,
            )
            for row in self.session.execute(query)
        ]

    def set_status(
        self, card_ids: Sequence[int], status: CardStatus, reason: str, only_from
    ) -> int:
        """Move the cards still in one of ``only_from`` to ``status``, set-based; how many."""
        c = tables.cards.c
        changed = 0
        for among_ids in among(self.session.connection(), c.id, list(card_ids)):
            result = self.session.execute(
                tables.cards.update()
                .where(among_ids, c.status.in_([CardStatus(s) for s in only_from]))
                .values(status=status, status_reason=reason)
                .execution_options(synchronize_session=False)
            )
            changed += written(result).rowcount
        # Any of these cards loaded in this session is now stale: read it afresh if asked.
        wanted = set(card_ids)
        for thing in list(self.session.identity_map.values()):
            if isinstance(thing, Card) and thing.id in wanted:
                self.session.expire(thing)
        return changed

    def businesses_holding(self, card_ids: Sequence[int]) -> list[HoldingBusiness]:
        w, b = tb.workforce_entries.c, tb.businesses.c
        held: dict[tuple[int, str], list[int]] = defaultdict(list)
        for among_ids in among(self.session.connection(), w.card_id, list(card_ids)):
            rows = self.session.execute(
                sa.select(b.id, b.name, w.card_id)
                .join(tb.businesses, b.id == w.business_id)
                .where(among_ids)
            )
            for row in rows:
                held[(row.id, row.name)].append(row.card_id)
        return [
            HoldingBusiness(business_id, name, tuple(sorted(ids)))
            for (business_id, name), ids in sorted(held.items())
        ]


class SuspectReportRepository(_Repository):
    def by_receipt(self, receipt: str) -> SuspectReport | None:
        r = suspect_reports.c
        return self.session.scalars(sa.select(SuspectReport).where(r.receipt == receipt)).first()

    def open_of_scheme(self, scheme_id: int, limit: int = 100) -> list[SuspectReport]:
        r = suspect_reports.c
        query = (
            sa.select(SuspectReport)
            .where(r.scheme_id == scheme_id, r.state == ReportState.OPEN.value)
            .order_by(r.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))
