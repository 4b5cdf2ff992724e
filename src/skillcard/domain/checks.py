"""Checks: one verification of one card by someone, what it may show, and how often.

A public check reveals only :class:`PublicCardView`: who the card says the holder is, what
they may do, until when, and whether the card is good today, in words and a colour a person
can read from a metre away on a building site. Never ids, dates of birth, e-mail addresses or
why a scheme suspended a card.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import NamedTuple

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.cards import Card, CardFacts, CardState
from skillcard.domain.credentials import Outcome
from skillcard.domain.people import Cardholder, HolderFacts
from skillcard.domain.schemes import Scheme
from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput

EXPIRING_SOON = "expiring_soon"  # the warning beside ``valid``, as docs/contracts.md words it
MAX_SITE_LENGTH = 200
MAX_WINDOW_SECONDS = 86_400
# Of a key's new window, the chance that it also sweeps every key's counters older than
# MAX_WINDOW_SECONDS in the database (those of clients that never came back; Redis expires them).
PURGE_CHANCE = 0.01


class CardOnRecord(NamedTuple):
    """A card as a check reads it: the card, its holder, the titles of its card type and
    occupation, and its holder's verified qualifications' titles where the reader read them
    (see :class:`skillcard.domain.check_judgement.CardReader`)."""

    card: Card | CardFacts
    holder: Cardholder | HolderFacts
    card_type_title: str
    occupation_title: str | None
    qualifications: tuple[str, ...] = ()

    def belongs_to(self, surname_key: str) -> bool:
        """Whether the holder's surname is the one typed (compared as keys: see names.py)."""
        return self.holder.surname_key == surname_key


class CheckMethod(enum.StrEnum):
    NUMBER = "number"  # card number and surname, online
    QR_ONLINE = "qr_online"  # a QR code verified by the server
    QR_OFFLINE = "qr_offline"  # a QR code verified on the checker's device, uploaded later


# The verification outcomes of docs/contracts.md (one list, in credentials.Outcome), and
# ``no_match`` for a number and surname that match no card (a wrong surname and an unknown
# number alike).
class CheckOutcome(enum.StrEnum):
    # Outcome's members, spelled out so a type checker knows them (a test holds them equal).
    VALID = Outcome.VALID.value
    EXPIRED = Outcome.EXPIRED.value
    NOT_YET_VALID = Outcome.NOT_YET_VALID.value
    SUSPENDED = Outcome.SUSPENDED.value
    REVOKED = Outcome.REVOKED.value
    UNKNOWN_ISSUER = Outcome.UNKNOWN_ISSUER.value
    BAD_SIGNATURE = Outcome.BAD_SIGNATURE.value
    MALFORMED = Outcome.MALFORMED.value
    STALE_STATUS = Outcome.STALE_STATUS.value
    NO_MATCH = "no_match"


class Colour(enum.StrEnum):
    GREEN = "green"  # valid
    AMBER = "amber"  # valid, but expiring within 90 days
    RED = "red"  # not valid: do not accept the card


OUTCOME_OF_STATE = {
    CardState.VALID: CheckOutcome.VALID,
    CardState.EXPIRED: CheckOutcome.EXPIRED,
    CardState.NOT_YET_VALID: CheckOutcome.NOT_YET_VALID,
    CardState.SUSPENDED: CheckOutcome.SUSPENDED,
    CardState.REVOKED: CheckOutcome.REVOKED,
    CardState.REPLACED: CheckOutcome.REVOKED,  # the old card of a replaced one is no card
}

NO_MATCH_REASON = (
    "No card matches that card number and surname. Check both against the card and try "
    "again; if they are right, do not accept the card."
)


@dataclass(frozen=True)
class PublicCardView:
    """Exactly what anyone checking a card may see. ``scheme`` and ``card_number`` echo what
    the checker typed (normalised), so a no-match answer carries nothing more."""

    outcome: CheckOutcome
    colour: Colour
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    scheme: str = ""
    card_number: str = ""
    holder_name: str | None = None
    photo_sha256: str | None = None
    card_type: str | None = None
    occupation: str | None = None
    qualifications: tuple[str, ...] = ()
    expires_on: dt.date | None = None

    @property
    def valid(self) -> bool:
        return self.outcome == CheckOutcome.VALID

    @classmethod
    def no_match(cls, *, scheme: str, card_number: str) -> PublicCardView:
        return cls(
            outcome=CheckOutcome.NO_MATCH,
            colour=Colour.RED,
            reasons=(NO_MATCH_REASON,),
            scheme=scheme,
            card_number=card_number,
        )

    @classmethod
    def of_card(
        cls,
        card: Card | CardFacts,
        *,
        scheme: Scheme,
        card_type_title: str,
        holder: Cardholder | HolderFacts,
        occupation: str,
        qualifications: tuple[str, ...],
        today: dt.date,
    ) -> PublicCardView:
        state = card.state_on(today)
        soon = card.expiring_soon(today)
        outcome = OUTCOME_OF_STATE[state]
        colour = Colour.RED
        if outcome == CheckOutcome.VALID:
            colour = Colour.AMBER if soon else Colour.GREEN
        return cls(
            outcome=outcome,
            colour=colour,
            reasons=reasons_for(card, state, scheme, today),
            warnings=(EXPIRING_SOON,) if soon else (),
            scheme=scheme.code,
            card_number=card.number,
            holder_name=holder.full_name,
            photo_sha256=holder.photo_sha256,
            card_type=card_type_title,
            occupation=occupation or None,
            qualifications=qualifications,
            expires_on=card.expires_on,
        )


def reasons_for(
    card: Card | CardFacts, state: CardState, scheme: Scheme, today: dt.date
) -> tuple[str, ...]:
    """Why the card is or is not good today, in plain English, with what to do next.

    A scheme's own reason for suspending or revoking a card is private: it is not given.
    """
    expires = f"{card.expires_on:%-d %B %Y}"
    ask = f"the holder should contact {scheme.name}"
    if state == CardState.VALID:
        left = (card.expires_on - today).days
        if card.expiring_soon(today):
            when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
            return (
                f"The card is valid until {expires}.",
                f"It expires {when}: the holder should renew it soon.",
            )
        return (f"The card is valid until {expires}.",)
    return {
        CardState.EXPIRED: (f"The card expired on {expires}.", f"Do not accept it: {ask}."),
        CardState.NOT_YET_VALID: ("The card is not valid yet.", f"Do not accept it yet: {ask}."),
        CardState.SUSPENDED: (
            f"{scheme.name} has suspended this card.",
            f"Do not accept it: {ask}.",
        ),
        CardState.REVOKED: (
            f"{scheme.name} has revoked this card.",
            "Do not accept it: it will not become valid again.",
        ),
        CardState.REPLACED: (
            "This card was replaced by a new card and is no longer valid.",
            "Ask the holder for their new card and check that one.",
        ),
    }[state]


@dataclass(eq=False)
class Check:
    """One check of one card (or of a number that matched none), as the check log keeps it.

    ``checked_at`` is when the check was made; ``synced_at`` when a check made offline reached
    the server. The checker is a user, or an anonymous client known only by a keyed hash.
    """

    checked_at: dt.datetime
    method: CheckMethod
    outcome: CheckOutcome
    card_id: int | None = None
    scheme_id: int | None = None
    checker_user_id: int | None = None
    client_key: str | None = None
    site: str | None = None
    synced_at: dt.datetime | None = None
    warnings: str = ""
    id: int = UNSAVED


def clean_site(site: str | None) -> str | None:
    """The site a checker names (optional): trimmed, at most 200 characters, or None."""
    site = " ".join((site or "").split())
    if len(site) > MAX_SITE_LENGTH:
        raise InvalidInput(f"a site name is limited to {MAX_SITE_LENGTH} characters", field="site")
    return site or None


def client_key(address: str, secret: str) -> str:
    """An anonymous client's stable pseudonym: HMAC-SHA256 of its address under the server's
    secret, so the check log and the rate counters never hold an IP address."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def can_see_check_log(who: Principal, cardholder_id: int) -> bool:
    """A cardholder sees who checked their own cards; a hub admin may look on their behalf."""
    return who.is_hub_admin or (who.role == Role.CARDHOLDER and who.cardholder_id == cardholder_id)


@dataclass(frozen=True)
class RateLimit:
    """A fixed-window rule: at most ``limit`` hits per window of ``window_seconds``, windows
    starting at multiples of ``window_seconds`` since the epoch (so every process agrees)."""

    limit: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a rate limit allows at least one hit")
        if not 1 <= self.window_seconds <= MAX_WINDOW_SECONDS:
            raise ValueError(f"a rate-limit window is 1 to {MAX_WINDOW_SECONDS} seconds")

    def window_start(self, now: dt.datetime) -> int:
        seconds = int(now.timestamp())
        return seconds - seconds % self.window_seconds

    def retry_after(self, now: dt.datetime) -> int:
        """Whole seconds until the current window ends (at least one)."""
        end = self.window_start(now) + self.window_seconds
        return max(1, math.ceil(end - now.timestamp()))

    def allows(self, count: int) -> bool:
        """Whether the ``count``-th hit in a window is within the limit."""
        return count <= self.limit
