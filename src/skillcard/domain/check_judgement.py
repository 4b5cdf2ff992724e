"""The one rule of a check by number and surname: the surname typed, the card found (or none),
the moment, and what follows from them.

Every door that asks "is this card good for this surname now?" comes here: the public check
(its page, the CLI and the API on either database), a business's single, spot and offline
checks, a workforce addition and every row of a bulk check. Each reads the card through a
:class:`CardReader` (the ORM's, one query a card; a batch's, one query 500 cards; the API
desk's on PostgreSQL, asynchronous) and the scheme from a
:class:`skillcard.domain.scheme_directory.SchemeDirectory`; the judgement and the check log's
line are made here, so a field or a privacy rule added to the answer is added once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from skillcard.domain.accounts import Principal
from skillcard.domain.checks import CardOnRecord, Check, CheckMethod, PublicCardView
from skillcard.domain.names import surname_key
from skillcard.domain.schemes import Scheme
from skillcard.errors import InvalidInput

MAX_SURNAME_LENGTH = 100

CardKey = tuple[int, str]  # (scheme id, normalised card number)


class CardReader(Protocol):
    """Reads a card as a check needs it: the card, its holder, the titles of its card type and
    occupation and, where the surname typed is the holder's, the holder's verified
    qualifications (only what the scheme has seen, never a self-declared claim)."""

    def card(self, scheme_id: int, number: str, *, surname_key: str) -> CardOnRecord | None:
        """One card, whether or not the surname will match: a wrong surname costs what an
        unknown number does, up to the qualifications a match alone reads."""
        ...

    def cards(self, wanted: Iterable[CardKey]) -> dict[CardKey, CardOnRecord]:
        """Many cards at once (a bulk check's batch), without their qualifications: a bulk
        check's answer shows none."""
        ...


class AsyncCardReader(Protocol):
    """:class:`CardReader` for a check answered on the event loop (the API on PostgreSQL)."""

    async def card(
        self, scheme_id: int, number: str, *, surname_key: str
    ) -> CardOnRecord | None: ...


def surname_key_of(surname: str | None) -> str:
    """The key of a surname typed by a checker (case, accents, hyphens and spaces ignored: see
    names.py), or InvalidInput if it is empty or longer than MAX_SURNAME_LENGTH."""
    surname = (surname or "").strip()
    if len(surname) > MAX_SURNAME_LENGTH:
        raise InvalidInput(f"a surname is limited to {MAX_SURNAME_LENGTH} characters")
    key = surname_key(surname)
    if not key:
        raise InvalidInput("enter the surname on the card")
    return key


def judge(
    found: CardOnRecord | None,
    *,
    surname_key: str,
    scheme: Scheme,
    card_number: str,
    today: dt.date,
) -> PublicCardView:
    """The answer to a check by number and surname on ``today``: the card's public view if the
    surname is its holder's, else ``no_match``, the same for a wrong surname as for an unknown
    number. A check made offline passes the card as it stood when it was made
    (:func:`skillcard.domain.cards.as_it_stood`) and that day."""
    if found is None or not found.belongs_to(surname_key):
        return PublicCardView.no_match(scheme=scheme.code, card_number=card_number)
    return PublicCardView.of_card(
        found.card,
        scheme=scheme,
        card_type_title=found.card_type_title,
        holder=found.holder,
        occupation=found.occupation_title or "",
        qualifications=found.qualifications,
        today=today,
    )


def log_line(
    view: PublicCardView,
    found: CardOnRecord | None,
    *,
    scheme_id: int | None,
    who: Principal | None,
    at: dt.datetime,
    client: str | None = None,
    site: str | None = None,
    synced_at: dt.datetime | None = None,
    method: CheckMethod = CheckMethod.NUMBER,
) -> Check:
    """The check log's line of a check (by number and surname, or of a QR code's ``method``),
    which the card's holder reads: :func:`log_values` as a :class:`Check`."""
    values = log_values(view, found, scheme_id=scheme_id, who=who, at=at, client=client,
                        site=site, synced_at=synced_at, method=method)  # fmt: skip
    return Check(**{**values, "method": method, "outcome": view.outcome})


def log_values(
    view: PublicCardView,
    found: CardOnRecord | None,
    *,
    scheme_id: int | None,
    who: Principal | None,
    at: dt.datetime,
    client: str | None = None,
    site: str | None = None,
    synced_at: dt.datetime | None = None,
    method: CheckMethod = CheckMethod.NUMBER,
) -> dict[str, Any]:
    """What the check log's line holds, column by column, each a plain value (a bulk check
    writes 500 at once without making a :class:`Check` of each). A signed-in checker is
    named and may give the site; an anonymous one is known by its client key only, and may not
    write a site into the holder's record. The card is named for a wrong surname too: its
    holder and its scheme can see the attempt."""
    return {
        "checked_at": at,
        "method": method.value,
        "outcome": view.outcome.value,
        "card_id": found.card.id if found is not None else None,
        "scheme_id": scheme_id,
        "checker_user_id": who.user_id if who is not None else None,
        "client_key": client if who is None else None,
        "site": (site or None) if who is not None else None,
        "synced_at": synced_at,
        "warnings": ",".join(view.warnings),
    }
