"""Signing keys as the registry stores them: who a key signs for, and for how long it counts.

Pure Python: generating, encrypting and using keys is in :mod:`skillcard.adapters.keys`.

A scheme either lets the hub hold its key (the hub makes it, seals it, signs the scheme's
cards with it, rotates it) or holds its own: it registers public keys, each with a signing
window, signs its cards' credentials itself, and the hub never sees a private key of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, can_manage_scheme
from skillcard.domain.stored import UNSAVED
from skillcard.domain.trust import KeyHolder, KeyStatus
from skillcard.errors import InvalidInput

# A registered key's window: long enough for a scheme's yearly rotation with room to spare,
# short enough that a forgotten key does not sign for ever.
MAX_SCHEME_KEY_WINDOW = dt.timedelta(days=5 * 366)


@dataclass
class SigningKeyRecord:
    """One stored key. ``scheme_id`` None is the hub's key, which signs the trust list.

    ``private_key_encrypted`` is the sealed private half of a hub-held key, None for a key a
    scheme holds. ``valid_until`` ends the signing window (None while a hub-held key is
    current; a scheme-held key has one from the start); ``verify_until`` is the last expiry
    date of the cards it signed: after it the key leaves the trust list.
    """

    kid: str
    scheme_id: int | None
    public_key: bytes
    private_key_encrypted: bytes | None
    valid_from: dt.datetime
    status: KeyStatus = KeyStatus.CURRENT
    valid_until: dt.datetime | None = None
    verify_until: dt.date | None = None
    holder: KeyHolder = KeyHolder.HUB
    id: int = UNSAVED

    def retire(self, *, now: dt.datetime, verify_until: dt.date) -> None:
        """Stop it signing from ``now`` (a window that ended earlier stays as it was)."""
        self.status = KeyStatus.RETIRED
        if self.valid_until is None or self.valid_until > now:
            self.valid_until = max(now, self.valid_from)
        self.verify_until = verify_until

    def listed_on(self, day: dt.date) -> bool:
        """Whether the trust list still names this key on ``day``."""
        return self.verify_until is None or self.verify_until >= day


def can_rotate_key(who: Principal, scheme_id: int | None) -> bool:
    """Hub admins rotate any key, the hub's included; a scheme admin only their scheme's."""
    if scheme_id is None:
        return who.is_hub_admin
    return can_manage_scheme(who, scheme_id)


def can_register_key(who: Principal, scheme_id: int) -> bool:
    """Who may register, list or retire the keys a scheme holds, and read the claims it signs:
    its admins (and hub admins). The one rule for the scheme's own signing: a connector token
    bound to the scheme belongs here too once that role exists."""
    return can_manage_scheme(who, scheme_id)


def check_scheme_key_window(
    valid_from: dt.datetime, valid_until: dt.datetime, now: dt.datetime
) -> None:
    """Refuse a registered key's signing window that cannot be right."""
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise InvalidInput("a key's window needs times with a time zone (UTC: end with Z)")
    if valid_until <= now:
        raise InvalidInput("the key's window has already ended")
    if valid_until <= valid_from:
        raise InvalidInput("the key's window ends before it starts")
    if valid_until - valid_from > MAX_SCHEME_KEY_WINDOW:
        raise InvalidInput("a key's window is at most five years: register a new key then")
