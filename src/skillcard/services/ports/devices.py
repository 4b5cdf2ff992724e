"""Port of the holder-bound phone cards: the device credentials schemes signed for phones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class DeviceRecord:
    id: int
    card_id: int
    scheme_id: int
    status_index: int
    public_key: bytes
    thumbprint: str
    issued_at: dt.datetime
    valid_until: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoke_reason: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class DeviceCredentials(Protocol):
    def add(self, **values: Any) -> int: ...
    def get(self, device_id: int) -> DeviceRecord | None: ...
    def of_card(self, card_id: int) -> list[DeviceRecord]: ...
    def revoke(self, device_id: int, *, now: dt.datetime, by: str, reason: str) -> bool: ...
    def revoked_entries(self, scheme_id: int, since: dt.datetime) -> list[int]: ...
