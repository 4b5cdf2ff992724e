"""A card and its lifecycle: issue, renew, replace, suspend, reinstate, revoke.

``expired`` is never stored: it is what an active card is once its expiry date has passed.
Every change goes through :data:`TRANSITIONS`, so an illegal one (revoked -> active) is refused
in one place with one kind of error.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from skillcard.domain.schemes import CardType
from skillcard.domain.stored import UNSAVED
from skillcard.errors import IllegalTransition, InvalidInput

EXPIRING_SOON_DAYS = 90
RENEWAL_WINDOW_DAYS = 180  # a card can be renewed up to six months before it expires


class CardStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    REPLACED = "replaced"


class CardState(enum.StrEnum):
    """What a card is on a given day: its status, with expiry worked out from the date."""

    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    REPLACED = "replaced"


class Action(enum.StrEnum):
    RENEW = "renew"
    REPLACE = "replace"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"


class ReplacementReason(enum.StrEnum):
    LOST = "lost"
    STOLEN = "stolen"
    DAMAGED = "damaged"


TRANSITIONS: dict[tuple[CardStatus, Action], CardStatus] = {
    (CardStatus.ACTIVE, Action.RENEW): CardStatus.ACTIVE,
    (CardStatus.ACTIVE, Action.REPLACE): CardStatus.REPLACED,
    (CardStatus.ACTIVE, Action.SUSPEND): CardStatus.SUSPENDED,
    (CardStatus.ACTIVE, Action.REVOKE): CardStatus.REVOKED,
    (CardStatus.SUSPENDED, Action.REINSTATE): CardStatus.ACTIVE,
    (CardStatus.SUSPENDED, Action.REVOKE): CardStatus.REVOKED,
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the 31st becomes the month's last day where it must."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Dated(Protocol):
    @property
    def status(self) -> CardStatus: ...
    @property
    def issued_on(self) -> dt.date: ...
    @property
    def expires_on(self) -> dt.date: ...


@dataclass(eq=False)
class Card:
    scheme_id: int
    card_type_id: int
    cardholder_id: int
    number: str
    issued_on: dt.date
    expires_on: dt.date
    status: CardStatus = CardStatus.ACTIVE
    occupation_id: int | None = None
    status_reason: str = ""
    replaces_card_id: int | None = None
    id: int = UNSAVED

    @classmethod
    def issue(
        cls,
        *,
        card_type: CardType,
        cardholder_id: int,
        number: str,
        issued_on: dt.date,
        occupation_id: int | None = None,
    ) -> Card:
        return cls(
            scheme_id=card_type.scheme_id,
            card_type_id=card_type.id,
            cardholder_id=cardholder_id,
            number=number,
            issued_on=issued_on,
            expires_on=add_months(issued_on, card_type.validity_months),
            occupation_id=occupation_id,
        )

    # ``self`` is any card's dates and status: CardFacts borrows these two rules.
    def state_on(self: _Dated, day: dt.date) -> CardState:
        if self.status != CardStatus.ACTIVE:
            return CardState(self.status.value)
        if day < self.issued_on:
            return CardState.NOT_YET_VALID
        if day > self.expires_on:
            return CardState.EXPIRED
        return CardState.VALID

    def expiring_soon(self: _Dated, day: dt.date) -> bool:
        return Card.state_on(self, day) == CardState.VALID and (self.expires_on - day).days <= (
            EXPIRING_SOON_DAYS
        )

    def _move(self, action: Action, reason: str = "") -> None:
        target = TRANSITIONS.get((CardStatus(self.status), action))
        if target is None:
            raise IllegalTransition(
                f"card {self.number} is {self.status}: it cannot be {_PAST[action]}"
            )
        self.status = target
        self.status_reason = reason

    def renew(self, *, card_type: CardType, today: dt.date) -> None:
        if not card_type.renewable:
            raise IllegalTransition(
                f"a {card_type.title} card cannot be renewed: apply for a new card instead"
            )
        if (self.expires_on - today).days > RENEWAL_WINDOW_DAYS:
            raise IllegalTransition(
                f"card {self.number} expires on {self.expires_on:%d %B %Y}: it can be renewed "
                f"from {self.expires_on - dt.timedelta(days=RENEWAL_WINDOW_DAYS):%d %B %Y}"
            )
        self._move(Action.RENEW)
        self.issued_on = today
        self.expires_on = add_months(today, card_type.validity_months)

    def replace(self, *, reason: ReplacementReason, new_number: str) -> Card:
        """Retire this card and return its successor: same type and expiry, a new number."""
        self._move(Action.REPLACE, f"replaced: {ReplacementReason(reason).value}")
        return Card(
            scheme_id=self.scheme_id,
            card_type_id=self.card_type_id,
            cardholder_id=self.cardholder_id,
            number=new_number,
            issued_on=self.issued_on,
            expires_on=self.expires_on,
            occupation_id=self.occupation_id,
            replaces_card_id=self.id,
        )

    def suspend(self, *, reason: str) -> None:
        self._move(Action.SUSPEND, _required(reason, "suspending"))

    def reinstate(self, *, reason: str = "") -> None:
        self._move(Action.REINSTATE, _optional(reason))

    def revoke(self, *, reason: str) -> None:
        self._move(Action.REVOKE, _required(reason, "revoking"))


_PAST = {
    Action.RENEW: "renewed",
    Action.REPLACE: "replaced",
    Action.SUSPEND: "suspended",
    Action.REINSTATE: "reinstated",
    Action.REVOKE: "revoked",
}


def statuses_allowing(action: Action) -> tuple[CardStatus, ...]:
    """The statuses from which ``action`` is allowed: what a change of many cards at once
    selects, by the same table a change of one card obeys."""
    return tuple(status for (status, act) in TRANSITIONS if act == action)


def revocation_reason(reason: str) -> str:
    """The reason a revocation records, refused if empty or too long (one card or many)."""
    return _required(reason, "revoking")


def _optional(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise InvalidInput("a reason is limited to 500 characters")
    return reason


def _required(reason: str, doing: str) -> str:
    reason = _optional(reason)
    if not reason:
        raise InvalidInput(f"a reason is required for {doing} a card")
    return reason


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What a check or a bulk check reads of a card: enough for the card's own rules about its
    state, without building a whole (mapped) Card per check or per row of a 50,000-row file."""

    status: CardStatus
    issued_on: dt.date
    expires_on: dt.date
    number: str = ""
    id: int = UNSAVED

    state_on = Card.state_on
    expiring_soon = Card.expiring_soon


@dataclass(frozen=True)
class CardChange:
    """A change to a card, as its audit trail records it: what the card was just before it (a
    suspension, a reinstatement, a revocation, a replacement, a renewal).
    ``issued_before`` is None where the trail did not record it."""

    at: dt.datetime
    status_before: CardStatus
    expires_before: dt.date
    issued_before: dt.date | None = None


def as_it_stood(
    card: Card | CardFacts, changes: Iterable[CardChange], moment: dt.datetime
) -> CardFacts:
    """The card's status, validity and expiry at ``moment``: as the first change after
    ``moment`` found them, or as they are now if none came after it. A check made offline is
    judged by this, not by a revocation, a reinstatement or a renewal that came later."""
    later = [change for change in changes if change.at > moment]
    if not later:
        return CardFacts(card.status, card.issued_on, card.expires_on, card.number, card.id)
    first = min(later, key=lambda change: change.at)
    issued = first.issued_before or card.issued_on
    return CardFacts(first.status_before, issued, first.expires_before, card.number, card.id)
