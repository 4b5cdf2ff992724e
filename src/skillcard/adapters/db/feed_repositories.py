"""Repositories of the card change feed and the schemes' webhooks. They never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from skillcard.adapters.db import tables
from skillcard.adapters.db import tables_business as tb
from skillcard.adapters.db.dialect import is_postgresql
from skillcard.adapters.db.tables_feed import card_changes, scheme_webhooks
from skillcard.domain.card_changes import FeedScope
from skillcard.services.ports.federation import CardFacts, NewChange, SchemeWebhook, StoredChange
from skillcard.services.unit_of_work import AbstractUnitOfWork

C = card_changes.c
W = scheme_webhooks.c
# The feed's one append turn on PostgreSQL: a transaction-level advisory lock on this key
# ("feed" in ASCII), released by PostgreSQL itself when the transaction commits or rolls back.
# One bigint key: the report slots' two-int keys (report_slots.py) are another key space.
APPEND_TURN_KEY = 0x66656564
_CHUNK = 500


def attach(uow: AbstractUnitOfWork, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.card_changes = CardChangeRepository(session)
    uow.scheme_webhooks = SchemeWebhookRepository(session)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    items = list(ids)
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class CardChangeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hold_append_turn(self) -> None:
        connection = self.session.connection()
        if is_postgresql(connection):
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_TURN_KEY}
            )
        # SQLite: one writer at a time already, so ids commit in the order they are drawn.

    def append(self, changes: Sequence[NewChange]) -> list[int]:
        if not changes:
            return []
        rows = [
            {
                "card_id": c.card_id,
                "scheme_id": c.scheme_id,
                "kind": c.kind,
                "occurred_at": c.occurred_at,
                "entry": c.entry,
                "once": c.once,
            }
            for c in changes
        ]
        query = sa.insert(card_changes).returning(C.id, sort_by_parameter_order=True)
        return [int(i) for i in self.session.scalars(query, rows)]

    def facts(self, card_ids: Sequence[int]) -> dict[int, CardFacts]:
        k, t, s, h = tables.cards.c, tables.card_types.c, tables.schemes.c, tables.cardholders.c
        found: dict[int, CardFacts] = {}
        for chunk in _chunks(card_ids):
            query = (
                sa.select(
                    k.id,
                    k.scheme_id,
                    s.code,
                    k.number,
                    t.code.label("type_code"),
                    k.status,
                    k.issued_on,
                    k.expires_on,
                    h.given_names,
                    h.surname,
                )
                .join(tables.schemes, s.id == k.scheme_id)
                .join(tables.card_types, t.id == k.card_type_id)
                .join(tables.cardholders, h.id == k.cardholder_id)
                .where(k.id.in_(chunk))
            )
            for row in self.session.execute(query):
                found[row.id] = CardFacts(
                    card_id=row.id,
                    scheme_id=row.scheme_id,
                    scheme=row.code,
                    number=row.number,
                    card_type=row.type_code,
                    status=str(row.status),
                    issued_on=row.issued_on,
                    expires_on=row.expires_on,
                    holder_name=f"{row.given_names} {row.surname}",
                )
        return found

    def already(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        return set(self.session.scalars(sa.select(C.once).where(C.once.in_(list(keys)))))

    def after(self, after_id: int, limit: int, scope: FeedScope) -> list[StoredChange]:
        query = sa.select(card_changes).where(C.id > after_id)
        if scope.scheme_id is not None:
            query = query.where(C.scheme_id == scope.scheme_id)
        if scope.business_id is not None:
            w = tb.workforce_entries.c
            # A business sees a card's changes from the time it joined its workforce.
            on_workforce = (
                sa.select(w.id)
                .where(w.business_id == scope.business_id, w.card_id == C.card_id)
                .where(w.added_at <= C.occurred_at)
                .exists()
            )
            query = query.where(on_workforce)
        rows = self.session.execute(query.order_by(C.id).limit(limit))
        return [
            StoredChange(r.id, r.card_id, r.scheme_id, r.kind, r.occurred_at, dict(r.entry))
            for r in rows
        ]

    def cards_of_holder(self, cardholder_id: int) -> list[int]:
        k = tables.cards.c
        query = sa.select(k.id).where(k.cardholder_id == cardholder_id).order_by(k.id)
        return list(self.session.scalars(query))

    def nearing_expiry(
        self, first: dt.date, last: dt.date, after_id: int, limit: int
    ) -> list[tuple[int, dt.date]]:
        k = tables.cards.c
        query = (
            sa.select(k.id, k.expires_on)
            .where(k.status == "active", k.expires_on >= first, k.expires_on <= last)
            .where(k.id > after_id)
            .order_by(k.id)
            .limit(limit)
        )
        return [(row.id, row.expires_on) for row in self.session.execute(query)]

    def business_subscribers(self, card_ids: Sequence[int]) -> dict[int, list[int]]:
        w, b = tb.workforce_entries.c, tb.businesses.c
        found: dict[int, list[int]] = {}
        for chunk in _chunks(card_ids):
            query = (
                sa.select(w.card_id, w.business_id)
                .join(tb.businesses, b.id == w.business_id)
                .where(w.card_id.in_(chunk), b.webhook_url.is_not(None))
                .order_by(w.business_id)
            )
            for card_id, business_id in self.session.execute(query):
                found.setdefault(card_id, []).append(business_id)
        return found


class SchemeWebhookRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scheme_id: int) -> SchemeWebhook | None:
        row = self.session.execute(
            sa.select(scheme_webhooks).where(W.scheme_id == scheme_id)
        ).first()
        return SchemeWebhook(row.scheme_id, row.url, row.secret) if row else None

    def put(self, scheme_id: int, url: str, secret: str, now: dt.datetime) -> None:
        self.remove(scheme_id)
        self.session.execute(
            sa.insert(scheme_webhooks).values(
                scheme_id=scheme_id, url=url, secret=secret, set_at=now
            )
        )

    def remove(self, scheme_id: int) -> None:
        self.session.execute(sa.delete(scheme_webhooks).where(W.scheme_id == scheme_id))

    def with_webhooks(self, scheme_ids: Sequence[int]) -> set[int]:
        if not scheme_ids:
            return set()
        query = sa.select(W.scheme_id).where(W.scheme_id.in_(list(set(scheme_ids))))
        return set(self.session.scalars(query))
