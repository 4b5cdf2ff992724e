"""Holder-bound phone cards for admins and API clients: the phones a card is on, and revoking
one (a lost phone). The holder does the same from their card's page (web/pages/phone_card.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from skillcard.services.credentials import devices
from skillcard.services.ports.devices import DeviceRecord
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(tags=["phone cards"], responses=ERRORS)
DeviceId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class DevicePublic(BaseModel):
    id: int
    key: str = Field(description="the first 16 hex digits of the SHA-256 of the phone's key")
    issued_at: dt.datetime
    valid_until: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str | None


class RevokeDevice(BaseModel):
    reason: str = Field(min_length=1, max_length=devices.MAX_REASON)


def _public(d: DeviceRecord) -> DevicePublic:
    return DevicePublic(
        id=d.id, key=d.thumbprint, issued_at=d.issued_at, valid_until=d.valid_until,
        revoked_at=d.revoked_at, revoke_reason=d.revoke_reason,
    )  # fmt: skip


@router.get("/cards/{number}/devices", response_model=list[DevicePublic])
def card_devices(number: str, who: ApiWho, uows: Uows):
    """The phones a card has been put on (its holder, or an admin of its scheme)."""
    return [_public(d) for d in devices.card_devices(uow=uows(), who=who, number=number[:40])]


@router.post("/devices/{device_id}/revoke", response_model=DevicePublic)
def revoke_device(device_id: DeviceId, body: RevokeDevice, who: ApiWho, uows: Uows):
    """Revoke a phone's device credential: its entry in the scheme's status list is set at
    once, so its codes are refused (``revoked``)."""
    done = devices.revoke_device(uow=uows(), who=who, device_id=device_id, reason=body.reason)
    return _public(done)
