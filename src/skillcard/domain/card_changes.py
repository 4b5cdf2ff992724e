"""The card change feed: what changed about a card, in the order it changed, and the cursor a
reader resumes from.

Every change to a card (issued, renewed, its status, its expiry coming near, its holder's
details) becomes one entry, written in the transaction that makes the change. A reader (a
scheme of its own cards, a business of its workforce, the hub of all) takes the entries after
its cursor, in order; each entry carries its own cursor, so a reader that stops anywhere
resumes from the last one it kept and sees every later change exactly once.

What an entry says is the same for every reader who may see the card: the card's number,
scheme, type, status, dates and its holder's name, which a scheme holds of its own cards and
a business already sees on its workforce list. Nothing else of the holder (no e-mail, date of
birth or photograph) is ever in an entry, and no reader sees another scheme's cards.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from skillcard.domain.accounts import BUSINESS_SCOPED, Principal, Role
from skillcard.errors import BadCursor, InvalidInput, PermissionDenied

MAX_PAGE = 1000
DEFAULT_PAGE = 100
EXPIRY_NEAR_DAYS = (90, 30)  # a card is announced once as each of these comes within reach


class ChangeKind(enum.StrEnum):
    ISSUED = "issued"  # a new card (first issue, an application approved, a replacement)
    RENEWED = "renewed"  # new dates on the same card
    STATUS = "status"  # suspended, reinstated, revoked, replaced
    EXPIRY_NEAR = "expiry_near"  # its expiry is within one of EXPIRY_NEAR_DAYS
    HOLDER = "holder"  # the holder's name or photograph changed


KINDS = frozenset(ChangeKind)


@dataclass(frozen=True)
class PublishedChange:
    """One entry of the feed as a reader gets it; ``cursor`` is where to resume after it."""

    card_id: int
    kind: str
    cursor: str
    scheme: str
    card_number: str
    card_type: str
    status: str
    issued_on: str
    expires_on: str
    holder_name: str
    occurred_at: str
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """What the API and a webhook carry (the card's row id stays inside the hub)."""
        return {
            "cursor": self.cursor,
            "kind": self.kind,
            "scheme": self.scheme,
            "card_number": self.card_number,
            "card_type": self.card_type,
            "status": self.status,
            "issued_on": self.issued_on,
            "expires_on": self.expires_on,
            "holder_name": self.holder_name,
            "occurred_at": self.occurred_at,
            "detail": self.detail,
        }


def entry_of(
    *,
    kind: str,
    scheme: str,
    card_number: str,
    card_type: str,
    status: str,
    issued_on: dt.date,
    expires_on: dt.date,
    holder_name: str,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored body of an entry: what the card was right after the change."""
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not a kind of card change")
    return {
        "kind": kind,
        "scheme": scheme,
        "card_number": card_number,
        "card_type": card_type,
        "status": status,
        "issued_on": issued_on.isoformat(),
        "expires_on": expires_on.isoformat(),
        "holder_name": holder_name,
        "detail": dict(detail or {}),
    }


def expiry_key(card_id: int, expires_on: dt.date, days: int) -> str:
    """The one ``expiry_near`` entry a card gets per threshold and per expiry date: a rerun of
    the job, or two at once, cannot announce it twice (and a renewed card is announced again
    as its new expiry comes near)."""
    return f"expiry_near:{card_id}:{expires_on.isoformat()}:{days}"


def expiry_threshold(today: dt.date, expires_on: dt.date) -> int | None:
    """The smallest threshold within which ``expires_on`` now falls (None: none yet, or it
    has passed)."""
    left = (expires_on - today).days
    if left < 0:
        return None
    inside = [days for days in EXPIRY_NEAR_DAYS if left <= days]
    return min(inside) if inside else None


# --- who reads what --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedScope:
    """The cards a reader's feed covers: all (the hub), one scheme's, or a business's
    workforce; ``scheme_id`` narrows any of them to one scheme."""

    scheme_id: int | None = None
    business_id: int | None = None


def feed_scope(who: Principal, scheme_id: int | None) -> FeedScope:
    """Whose changes ``who`` may read, narrowed to ``scheme_id`` if asked. A scheme reads its
    own cards (asking for another scheme's is refused, never answered empty), a business the
    cards on its workforce, the hub every card."""
    if who.is_hub_admin:
        return FeedScope(scheme_id=scheme_id)
    if who.role == Role.SCHEME_ADMIN and who.scheme_id is not None:
        if scheme_id not in (None, who.scheme_id):
            raise PermissionDenied("you may read the changes of your own scheme's cards only")
        return FeedScope(scheme_id=who.scheme_id)
    if who.role in BUSINESS_SCOPED and who.business_id is not None:
        return FeedScope(scheme_id=scheme_id, business_id=who.business_id)
    raise PermissionDenied("you do not have permission to read the card change feed")


def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit is a number from 1 to {MAX_PAGE}")
    return limit


# --- the cursor ------------------------------------------------------------------------------
# Opaque to readers (they keep it and give it back, never build one), monotonic to the hub: it
# wraps the entry's sequence id, with a version byte so the form may change without breaking
# the cursors readers hold.

_VERSION = 1
_FORM = struct.Struct(">BQ")


def encode_cursor(sequence_id: int) -> str:
    raw = _FORM.pack(_VERSION, sequence_id)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The sequence id a cursor stands for (0, the start, for none); BadCursor for a cursor
    this hub never gave."""
    if cursor is None or cursor == "":
        return 0
    bad = BadCursor("the cursor is not one this feed gave: start again without one")
    if len(cursor) > 24:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, sequence_id = _FORM.unpack(raw)
    except (binascii.Error, ValueError, struct.error):
        raise bad from None
    if version != _VERSION or encode_cursor(sequence_id) != cursor:
        raise bad
    return int(sequence_id)


def pairs_of(changes: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """The (card id, kind) pairs of one transaction, checked, in the order given, each once."""
    seen: dict[tuple[int, str], None] = {}
    for card_id, kind in changes:
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not a kind of card change")
        seen[(int(card_id), str(kind))] = None
    return list(seen)
