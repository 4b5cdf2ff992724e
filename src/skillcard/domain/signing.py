"""Signing keys as the registry stores them: who a key signs for, and for how long it counts.

Pure Python: generating, encrypting and using keys is in :mod:`skillcard.adapters.keys`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, can_manage_scheme
from skillcard.domain.stored import UNSAVED
from skillcard.domain.trust import KeyStatus


@dataclass
class SigningKeyRecord:
    """One stored key pair. ``scheme_id`` None is the hub's key, which signs the trust list.

    ``valid_until`` ends the signing window (None while current); ``verify_until`` is the last
    expiry date of the cards it signed: after it the key leaves the trust list.
    """

    kid: str
    scheme_id: int | None
    public_key: bytes
    private_key_encrypted: bytes
    valid_from: dt.datetime
    status: KeyStatus = KeyStatus.CURRENT
    valid_until: dt.datetime | None = None
    verify_until: dt.date | None = None
    id: int = UNSAVED

    def retire(self, *, now: dt.datetime, verify_until: dt.date) -> None:
        self.status = KeyStatus.RETIRED
        self.valid_until = now
        self.verify_until = verify_until

    def listed_on(self, day: dt.date) -> bool:
        """Whether the trust list still names this key on ``day``."""
        return self.verify_until is None or self.verify_until >= day


def can_rotate_key(who: Principal, scheme_id: int | None) -> bool:
    """Hub admins rotate any key, the hub's included; a scheme admin only their scheme's."""
    if scheme_id is None:
        return who.is_hub_admin
    return can_manage_scheme(who, scheme_id)
