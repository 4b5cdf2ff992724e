"""Repositories of the open-standard credentials: badge status entries and share links. They
never commit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from skillcard.adapters.db.dialect import inserted_id
from skillcard.adapters.db.tables_open_credentials import badge_entries, share_links
from skillcard.services.ports.open_credentials import BadgeEntry, ShareLink

B = badge_entries.c


def _entry(row) -> BadgeEntry:
    return BadgeEntry(
        row.id,
        row.public_id,
        row.cardholder_id,
        row.kind,
        row.subject,
        row.status_index,
        row.claimed_minutes,
        row.issued_at,
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


S = share_links.c


def _share(row) -> ShareLink:
    return ShareLink(
        row.id,
        row.token,
        row.cardholder_id,
        row.kind,
        row.subject,
        row.title,
        row.created_at,
        row.expires_at,
        row.revoked_at,
        row.views,
        row.last_viewed_at,
    )


class ShareLinkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **values) -> int:
        return inserted_id(self.session.execute(share_links.insert().values(**values)))

    def get(self, share_id: int) -> ShareLink | None:
        row = self.session.execute(sa.select(share_links).where(S.id == share_id)).first()
        return _share(row) if row else None

    def by_token(self, token: str) -> ShareLink | None:
        row = self.session.execute(sa.select(share_links).where(S.token == token)).first()
        return _share(row) if row else None

    def of_cardholder(self, cardholder_id: int) -> list[ShareLink]:
        query = (
            sa.select(share_links)
            .where(S.cardholder_id == cardholder_id)
            .order_by(S.created_at.desc(), S.id.desc())
        )
        return [_share(r) for r in self.session.execute(query)]

    def revoke(self, share_id: int, now: dt.datetime) -> None:
        self.session.execute(
            share_links.update()
            .where(S.id == share_id, S.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def count_view(self, share_id: int, now: dt.datetime) -> None:
        """One more view, counted in the database (two viewers at once both count)."""
        self.session.execute(
            share_links.update()
            .where(S.id == share_id)
            .values(views=S.views + 1, last_viewed_at=now)
        )


def attach(uow, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.badge_entries = BadgeEntryRepository(session)
    uow.share_links = ShareLinkRepository(session)
