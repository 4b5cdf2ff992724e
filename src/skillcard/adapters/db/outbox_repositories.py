"""Repositories of the e-mail outbox and of HSE records. They never commit."""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.db.check_repositories import insert_many
from skillcard.adapters.db.repositories import _Repository
from skillcard.domain.outbox import MAX_ATTEMPTS, Mail, OutboxMessage
from skillcard.domain.people import HseRecord


class OutboxRepository(_Repository):
    def add(self, message: OutboxMessage) -> None:
        self.session.add(message)
        self.session.flush()

    def add_many(self, mails: list[Mail]) -> None:
        """Many messages in one write (COPY on PostgreSQL), for a change that tells thousands
        of holders at once; none of them carries a dedupe key."""
        rows = [
            {
                "created_at": m.created_at,
                "kind": m.kind,
                "to_address": m.to_address,
                "subject": m.subject,
                "body": m.body,
                "attempts": 0,
                "last_error": "",
            }
            for m in mails
        ]
        if rows:
            insert_many(self.session, tables.outbox_messages, rows)

    def has_dedupe_key(self, key: str) -> bool:
        m = tables.outbox_messages.c
        found = self.session.execute(sa.select(m.id).where(m.dedupe_key == key)).first()
        return found is not None

    def pending(self, limit: int) -> list[OutboxMessage]:
        """Unsent messages that are still worth trying, oldest first, locked on PostgreSQL so
        two senders never send one message twice."""
        m = tables.outbox_messages.c
        query = (
            sa.select(OutboxMessage)
            .where(m.sent_at.is_(None), m.attempts < MAX_ATTEMPTS)
            .order_by(m.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))

    def recent(self, limit: int, to_address: str | None = None) -> list[OutboxMessage]:
        m = tables.outbox_messages.c
        query = sa.select(OutboxMessage).order_by(m.id.desc()).limit(limit)
        if to_address:
            query = query.where(m.to_address == to_address.strip().lower())
        return list(self.session.scalars(query))


class HseRecordRepository(_Repository):
    def add(self, record: HseRecord) -> None:
        self.session.add(record)
        self.session.flush()

    def of_cardholder(self, cardholder_id: int) -> list[HseRecord]:
        h = tables.hse_records.c
        query = (
            sa.select(HseRecord)
            .where(h.cardholder_id == cardholder_id)
            .order_by(h.passed_on.desc(), h.id.desc())
        )
        return list(self.session.scalars(query))
