"""The holder-bound phone card: a device credential the scheme signs for one phone's key, and
the presentation the phone makes from it, with no network, every 30 seconds.

    device credential  COSE_Sign1 (ES256, the scheme's key) over the card's claims map
                       (domain/credentials.py) with three changes:
                         13 valid_until  the end of the device credential's period (days,
                                         never past the card's expiry)
                         15 device_key   the phone's public key, a COSE_Key (EC2, P-256)
                         17 device_index the device's own entry in the scheme's status list
                       and no key 11: a checker that knows nothing of holder binding finds the
                       card's status index missing and calls the bytes ``malformed``, never
                       ``valid`` (a copied device credential must not pass as a printed card).
    presentation       "SC2:" + Base45( CBOR [ device credential (bstr), time (uint, seconds
                       since 1970 UTC), the phone's ES256 signature (bstr, r || s) ] )
    the phone signs    CBOR [ "SkillcardPresentation", time, SHA-256(device credential) ]
    QR code            alphanumeric mode, error correction L (a screen is not scuffed): version
                       24 with a typical 640-byte thumbnail, 29 at most (1 KB, longest texts)

A checker accepts a presentation only if the scheme signed the device credential, the key in
it signed the time and the credential's hash, and that time is within the presentation window
of its own clock (60 s each way by default). The DESIGN's five minutes of clock skew are not
added to that window: they would let a screenshot pass for five minutes. They still apply to
everything measured in days (the card's dates, the device credential's period), as for every
other credential. A phone whose clock is wrong by more than the window shows codes that are
refused, with a reason that says so.

Outcome words are the contract's (docs/contracts.md), none new: a presentation older than the
window is ``expired`` (like a timed-out phone code), one from the future ``not_yet_valid``, a
phone signature that does not match the key the scheme bound ``bad_signature``, a device
credential past its period ``expired``, a revoked device (or card) ``revoked``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from skillcard.domain.credentials import (
    CardClaims,
    ClaimsError,
    Outcome,
    VerificationResult,
    claims_from_map,
    claims_to_map,
    decide,
)
from skillcard.domain.trust import CLOCK_SKEW, StatusList, TrustedKey, _utc

PRESENTATION_PREFIX = "SC2:"
PRESENTATION_WINDOW = dt.timedelta(seconds=60)
RENEW_SECONDS = 30  # how often the phone makes a fresh presentation
SIGNED_CONTEXT = "SkillcardPresentation"
DEVICE_KEY, DEVICE_INDEX, STATUS_INDEX = 15, 17, 11
DEFAULT_DEVICE_DAYS = 30


@dataclass(frozen=True)
class DeviceCredential:
    """The claims the scheme signed for one phone: the card's (``status_index`` is the
    device's entry, ``valid_until`` the end of its period) and the phone's public key, as the
    SEC1 uncompressed point (65 bytes)."""

    claims: CardClaims
    device_key: bytes

    def __post_init__(self) -> None:
        key = self.device_key
        if type(key) is not bytes or len(key) != 65 or key[0] != 4:
            raise ClaimsError("the device key must be an uncompressed P-256 point")
        if self.claims.valid_until is None:
            raise ClaimsError("a device credential must say when its period ends")


def device_credential_map(device: DeviceCredential) -> dict[int, object]:
    """The CBOR-ready claims of a device credential (see the module's table)."""
    out = claims_to_map(device.claims)
    out[DEVICE_INDEX] = out.pop(STATUS_INDEX)
    out[DEVICE_KEY] = {1: 2, -1: 1, -2: device.device_key[1:33], -3: device.device_key[33:]}
    return out


def device_credential_from_map(raw: object) -> DeviceCredential:
    """A device credential from its decoded claims; hostile until proven otherwise."""
    if type(raw) is not dict or STATUS_INDEX in raw:
        raise ClaimsError("not a device credential's claims")
    if DEVICE_INDEX not in raw or DEVICE_KEY not in raw:
        raise ClaimsError("a device credential names its device's key and status entry")
    card = dict(raw)
    card[STATUS_INDEX] = card.pop(DEVICE_INDEX)
    cose_key = card.pop(DEVICE_KEY)
    if type(cose_key) is not dict or (cose_key.get(1), cose_key.get(-1)) != (2, 1):
        raise ClaimsError("the device key is not a P-256 COSE_Key")
    x, y = cose_key.get(-2), cose_key.get(-3)
    if type(x) is not bytes or type(y) is not bytes or len(x) != 32 or len(y) != 32:
        raise ClaimsError("the device key's coordinates must be 32 bytes each")
    return DeviceCredential(claims_from_map(card), b"\x04" + x + y)


def device_period_end(issued: dt.datetime, card_expires: dt.date, days: int) -> dt.datetime | None:
    """When a device credential issued at ``issued`` for ``days`` ends: never past the last
    second of the card's expiry day (None: the card has already expired)."""
    last = dt.datetime.combine(card_expires, dt.time(23, 59, 59), dt.UTC)
    end = min(_utc(issued) + dt.timedelta(days=days), last)
    return end if end > _utc(issued) else None


def decide_presentation(
    device: DeviceCredential,
    key: TrustedKey,
    status_list: StatusList | None,
    presented_at: dt.datetime,
    phone_signed: bool,
    now: dt.datetime,
    window: dt.timedelta = PRESENTATION_WINDOW,
) -> VerificationResult:
    """The outcome of a presentation whose device credential ``key`` verified; ``phone_signed``
    says whether the key in it made the presentation's signature."""
    if not phone_signed:
        reason = "The code was not signed by the phone this card was given to: it may be a copy."
        return VerificationResult(Outcome.BAD_SIGNATURE, reasons=(reason,), key_id=key.kid)
    now = _utc(now)
    card = dataclasses.replace(device.claims, valid_until=None)  # its period is judged below
    found = decide(card, key, status_list, now)
    if found.outcome is Outcome.REVOKED:
        reason = "The scheme has revoked this card, or this phone's copy of it."
        return dataclasses.replace(found, claims=device.claims, reasons=(reason,))
    if found.outcome not in (Outcome.VALID, Outcome.STALE_STATUS):
        return dataclasses.replace(found, claims=device.claims)
    refusal = _timing(device, presented_at, now, window)
    if refusal is not None:
        return VerificationResult(refusal[0], device.claims, (), (refusal[1],), key.kid)
    return dataclasses.replace(found, claims=device.claims)


def _timing(
    device: DeviceCredential, presented_at: dt.datetime, now: dt.datetime, window: dt.timedelta
) -> tuple[Outcome, str] | None:
    until = device.claims.valid_until
    assert until is not None  # a DeviceCredential always has one
    if until + CLOCK_SKEW < now:
        return Outcome.EXPIRED, (
            f"This phone's copy of the card ran out on {until:%d %b %Y}: the holder must open "
            "MyCard with signal to renew it."
        )
    age = int((now - _utc(presented_at)).total_seconds())
    if age > window.total_seconds():
        return Outcome.EXPIRED, (
            f"This code was made {age} seconds ago; a phone makes a fresh one every "
            f"{RENEW_SECONDS} seconds: this is a screenshot, or a clock is wrong."
        )
    if -age > window.total_seconds():
        return Outcome.NOT_YET_VALID, (
            f"This code says it was made {-age} seconds from now: the phone's clock or this "
            "device's is wrong."
        )
    return None
