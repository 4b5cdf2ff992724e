"""What vouches for a digital card: the schemes' keys a trust list names, and status lists.

Pure Python, like the rest of the domain; see :mod:`skillcard.domain.credentials` for how
they are used to decide a check's outcome.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from skillcard.domain.cards import CardStatus
from skillcard.errors import InvalidInput

CLOCK_SKEW = dt.timedelta(minutes=5)
MIN_STATUS_ENTRIES = 131_072  # so a downloaded list says nothing about which card is checked
DEFAULT_STATUS_TTL = 86_400


class KeyStatus(enum.StrEnum):
    CURRENT = "current"  # signs new credentials
    RETIRED = "retired"  # verify-only, for what it signed while current


class KeyHolder(enum.StrEnum):
    """Who keeps a key's private half. The trust list names both kinds alike: a verifier
    needs only the public half and the window, whoever signs."""

    HUB = "hub"  # made by the hub, sealed in its database, used by the hub to sign
    SCHEME = "scheme"  # kept in the scheme's own system; the hub was given the public half


@dataclass(frozen=True)
class TrustedKey:
    """A scheme's public key as a trust list names it.

    ``public_key`` is the SEC1 uncompressed point (65 bytes, 0x04 || x || y), which any
    crypto library loads and a JWK's ``x`` and ``y`` are cut from. The window is when the key
    may sign: a credential signed outside it is not vouched for, whatever its signature.
    Naive datetimes are taken as UTC.
    """

    kid: str
    scheme: str
    public_key: bytes
    valid_from: dt.datetime
    valid_until: dt.datetime | None = None  # end of its signing window; None while current
    status: KeyStatus = KeyStatus.CURRENT
    # the window widened by the clock skew, worked out once
    _earliest: dt.datetime = field(init=False, repr=False, compare=False)
    _latest: dt.datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.status == KeyStatus.RETIRED and self.valid_until is None:
            raise InvalidInput(f"retired key {self.kid} needs the end of its signing window")
        until = dt.datetime.max.replace(tzinfo=dt.UTC)
        if self.valid_until is not None:
            until = _utc(self.valid_until) + CLOCK_SKEW
        object.__setattr__(self, "_earliest", _utc(self.valid_from) - CLOCK_SKEW)
        object.__setattr__(self, "_latest", until)

    def signed_in_window(self, signed: dt.datetime) -> bool:
        return self._earliest <= signed <= self._latest


class ListedState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


def listed_state(status: CardStatus) -> ListedState:
    """A card's entry for its status: a replaced card counts as revoked (the old card must
    not pass a check)."""
    if status == CardStatus.ACTIVE:
        return ListedState.ACTIVE
    return ListedState.SUSPENDED if status == CardStatus.SUSPENDED else ListedState.REVOKED


def set_entry(bits: bytearray, plane: bytearray, index: int, state: ListedState) -> None:
    """Set entry ``index`` of the two planes (see :class:`StatusList`) to ``state``."""
    byte, mask = index >> 3, 0x80 >> (index & 7)
    if state is ListedState.ACTIVE:
        bits[byte] &= ~mask & 0xFF
    else:
        bits[byte] |= mask
    if state is ListedState.SUSPENDED:
        plane[byte] |= mask
    else:
        plane[byte] &= ~mask & 0xFF


@dataclass(frozen=True)
class StatusList:
    """A scheme's status list, as two bit-planes of the same length.

    ``bits``: entry ``i`` is bit ``7 - i % 8`` of byte ``i // 8`` (most significant bit first,
    as in the W3C Bitstring Status List); 1 means revoked or suspended. ``suspended``: the same
    layout, 1 where the entry is suspended rather than revoked; empty when nothing is. A
    checker that only needs "good or not" reads one plane, and the second, nearly all zeros,
    costs almost nothing once gzipped. Naive datetimes are taken as UTC.
    """

    scheme: str
    issued: dt.datetime
    bits: bytes
    ttl: int = DEFAULT_STATUS_TTL  # seconds after ``issued`` during which the list is fresh
    suspended: bytes = b""
    fresh_until: dt.datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.bits) * 8 < MIN_STATUS_ENTRIES:
            raise InvalidInput(f"a status list holds at least {MIN_STATUS_ENTRIES} entries")
        if self.suspended and len(self.suspended) != len(self.bits):
            raise InvalidInput("the suspended plane must be as long as the status bits")
        if self.ttl <= 0:
            raise InvalidInput("a status list's ttl must be positive")
        fresh_until = _utc(self.issued) + dt.timedelta(seconds=self.ttl)
        object.__setattr__(self, "fresh_until", fresh_until)

    @classmethod
    def build(
        cls,
        *,
        scheme: str,
        issued: dt.datetime,
        revoked: Iterable[int] = (),
        suspended: Iterable[int] = (),
        entries: int = MIN_STATUS_ENTRIES,
        ttl: int = DEFAULT_STATUS_TTL,
    ) -> StatusList:
        bits, plane = bytearray((entries + 7) // 8), bytearray((entries + 7) // 8)
        for index in revoked:
            set_entry(bits, plane, index, ListedState.REVOKED)
        for index in suspended:
            set_entry(bits, plane, index, ListedState.SUSPENDED)
        return cls(scheme, issued, bytes(bits), ttl, bytes(plane) if any(plane) else b"")

    def with_state(self, index: int, state: ListedState) -> StatusList:
        """The same list with entry ``index`` set to ``state``: the list as it stood before a
        card's status changed, say. An index outside the list raises IndexError."""
        if not 0 <= index < self.entries:
            raise IndexError(f"status index {index} is outside a list of {self.entries}")
        bits, plane = bytearray(self.bits), bytearray(self.suspended or len(self.bits))
        set_entry(bits, plane, index, state)
        return StatusList(
            self.scheme, self.issued, bytes(bits), self.ttl, bytes(plane) if any(plane) else b""
        )

    @property
    def entries(self) -> int:
        return len(self.bits) * 8

    def state_of(self, index: int) -> ListedState:
        """The entry's state, in O(1); an index outside the list raises IndexError."""
        if not 0 <= index < len(self.bits) * 8:
            raise IndexError(f"status index {index} is outside a list of {self.entries}")
        byte, mask = index >> 3, 0x80 >> (index & 7)
        if not self.bits[byte] & mask:
            return ListedState.ACTIVE
        if self.suspended and self.suspended[byte] & mask:
            return ListedState.SUSPENDED
        return ListedState.REVOKED

    def is_stale(self, now: dt.datetime) -> bool:
        return _utc(now) > self.fresh_until


def _utc(moment: dt.datetime) -> dt.datetime:
    # A naive datetime is taken to be UTC, the only zone credentials speak.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
