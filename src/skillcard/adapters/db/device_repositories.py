"""The holder-bound phone cards' device credentials (services/ports/devices.py)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from skillcard.adapters.db.dialect import inserted_id, written
from skillcard.adapters.db.tables_trust import device_credentials
from skillcard.services.ports.devices import DeviceRecord

D = device_credentials.c


def _record(row) -> DeviceRecord:
    return DeviceRecord(
        row.id,
        row.card_id,
        row.scheme_id,
        row.status_index,
        bytes(row.public_key),
        row.thumbprint,
        row.issued_at,
        row.valid_until,
        row.revoked_at,
        row.revoked_by,
        row.revoke_reason,
    )


class DeviceCredentialRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **values) -> int:
        return inserted_id(self.session.execute(device_credentials.insert().values(**values)))

    def get(self, device_id: int) -> DeviceRecord | None:
        query = sa.select(device_credentials).where(D.id == device_id)
        row = self.session.execute(query).first()
        return _record(row) if row else None

    def of_card(self, card_id: int) -> list[DeviceRecord]:
        query = (
            sa.select(device_credentials)
            .where(D.card_id == card_id)
            .order_by(D.issued_at.desc(), D.id.desc())
        )
        return [_record(r) for r in self.session.execute(query)]

    def revoke(self, device_id: int, *, now: dt.datetime, by: str, reason: str) -> bool:
        """Mark the device revoked; False if it already was (two revocations at once)."""
        done = written(
            self.session.execute(
                device_credentials.update()
                .where(D.id == device_id, D.revoked_at.is_(None))
                .values(revoked_at=now, revoked_by=by, revoke_reason=reason)
            )
        )
        return done.rowcount == 1

    def revoked_entries(self, scheme_id: int, since: dt.datetime) -> list[int]:
        """The entries of the scheme's revoked devices whose period had not ended by
        ``since``: what a status list must mark revoked whatever their card's status."""
        self.session.flush()
        query = sa.select(D.status_index).where(
            D.scheme_id == scheme_id, D.revoked_at.is_not(None), D.valid_until >= since
        )
        return list(self.session.scalars(query))


def attach(uow, session: Session) -> None:
    uow.device_credentials = DeviceCredentialRepository(session)
