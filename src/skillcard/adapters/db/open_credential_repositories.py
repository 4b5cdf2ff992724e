"""Repositories of the open-standard credentials: badge status entries. They never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from skillcard.adapters.db.key_repositories import _aware
from skillcard.adapters.db.tables_open_credentials import badge_entries

B = badge_entries.c


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


def _entry(row) -> BadgeEntry:
    return BadgeEntry(
        row.id,
        row.public_id,
        row.cardholder_id,
        row.kind,
        row.subject,
        row.status_index,
        row.claimed_minutes,
        _aware(row.issued_at),
    )


class BadgeEntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, cardholder_id: int, kind: str, subject: str) -> BadgeEntry | None:
        row = self.session.execute(
            sa.select(badge_entries).where(
                B.cardholder_id == cardholder_id, B.kind == kind, B.subject == subject
            )
        ).first()
        return _entry(row) if row else None

    def by_public_id(self, public_id: str) -> BadgeEntry | None:
        row = self.session.execute(sa.select(badge_entries).where(B.public_id == public_id)).first()
        return _entry(row) if row else None

    def by_index(self, index: int) -> BadgeEntry | None:
        row = self.session.execute(sa.select(badge_entries).where(B.status_index == index)).first()
        return _entry(row) if row else None

    def add(self, **values) -> bool:
        """Insert an entry; False when its index (or its achievement) was taken meanwhile."""
        try:
            with self.session.begin_nested():
                self.session.execute(badge_entries.insert().values(**values))
        except exc.IntegrityError:
            return False
        return True

    def set_claim(self, entry_id: int, minutes: int) -> None:
        self.session.execute(
            badge_entries.update().where(B.id == entry_id).values(claimed_minutes=minutes)
        )

    def all(self) -> list[BadgeEntry]:
        return [_entry(r) for r in self.session.execute(sa.select(badge_entries).order_by(B.id))]


def attach(uow, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.badge_entries = BadgeEntryRepository(session)
