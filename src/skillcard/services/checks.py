"""Smart Check online: a card checked by its number and its holder's surname, and the log of
every check, which a cardholder can read for their own cards.

Each check is stored in the same transaction that reads the card: the answer and its record
stand or fall together. Checks are not written to the audit chain: they change nothing, and
a chain link per check would make every check in every process queue on one row; the check
log is their record.

A number with a wrong check digit is refused (422) before anything is looked up, and is not
stored: it is a slip of the finger, not a check of any card. A number that is well formed but
matches no card, and a real number with the wrong surname, get the same ``no_match`` answer,
after the same queries, so the answer never says whether a number exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import Principal
from skillcard.domain.cards import Card
from skillcard.domain.checks import (
    Check,
    CheckMethod,
    PublicCardView,
    can_see_check_log,
    clean_site,
)
from skillcard.domain.names import surname_key
from skillcard.domain.people import Cardholder
from skillcard.domain.schemes import Scheme
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit import utcnow
from skillcard.services.cards import scheme_for_number
from skillcard.services.unit_of_work import AbstractUnitOfWork

ANONYMOUS_CHECKER = "a site checker (not signed in)"
OPERATOR_CHECKER = "the scheme's operator"
MAX_SURNAME_LENGTH = 100
CHECK_LOG_LENGTH = 50


@dataclass(frozen=True)
class PublicCheckResult:
    """The answer to a check: the public view of the card, and when it was checked (so a
    screenshot of the answer says how old it is)."""

    view: PublicCardView
    checked_at: dt.datetime


@dataclass(frozen=True)
class CheckLogEntry:
    """One line of a cardholder's "who checked your card": never the checker's address."""

    checked_at: dt.datetime
    card_number: str
    checker: str
    method: str
    outcome: str
    site: str | None
    synced_at: dt.datetime | None


def _surname_key(surname: str) -> str:
    surname = (surname or "").strip()
    if len(surname) > MAX_SURNAME_LENGTH:
        raise InvalidInput(f"a surname is limited to {MAX_SURNAME_LENGTH} characters")
    key = surname_key(surname)
    if not key:
        raise InvalidInput("enter the surname on the card")
    return key


def _public_view(
    uow: AbstractUnitOfWork, card: Card, holder: Cardholder, scheme: Scheme, today: dt.date
) -> PublicCardView:
    occupation = uow.occupations.get(card.occupation_id) if card.occupation_id else None
    return PublicCardView.of_card(
        card,
        scheme=scheme,
        card_type=uow.card_types.get(card.card_type_id),
        holder=holder,
        occupation=occupation.title if occupation else "",
        # only what the scheme has seen: never a self-declared claim
        qualifications=uow.checks.verified_qualification_titles(holder.id),
        today=today,
    )


def check_card(
    *,
    uow: AbstractUnitOfWork,
    number: str,
    surname: str,
    scheme_code: str | None = None,
    who: Principal | None = None,
    client: str | None = None,
    site: str | None = None,
    now: dt.datetime | None = None,
) -> PublicCheckResult:
    """Check a card by number and surname (case, accents, hyphens and spaces ignored), and
    log the check. ``who`` is the signed-in checker, if any; ``client`` an anonymous client's
    key (see :func:`skillcard.domain.checks.client_key`), stored only when no one signed in.
    ``site`` is kept for signed-in checkers only: the holder reads it in their record, and
    an anonymous visitor must not write there."""
    now = now or utcnow()
    site, key = clean_site(site), _surname_key(surname)
    with uow:
        scheme, normalised = scheme_for_number(uow, number, scheme_code)
        found = uow.checks.card_for_check(scheme.id, normalised)
        if found is not None and found[1].surname_key == key:
            view = _public_view(uow, found[0], found[1], scheme, now.date())
        else:
            view = PublicCardView.no_match(scheme=scheme.code, card_number=normalised)
        uow.checks.add(
            Check(
                checked_at=now,
                method=CheckMethod.NUMBER,
                outcome=view.outcome,
                # Kept for a wrong surname too: the holder and the scheme can see the attempt.
                card_id=found[0].id if found is not None else None,
                scheme_id=scheme.id,
                checker_user_id=who.user_id if who is not None else None,
                client_key=client if who is None else None,
                site=site if who is not None else None,
                warnings=",".join(view.warnings),
            )
        )
        uow.commit()
    return PublicCheckResult(view=view, checked_at=now)


def _checker(row) -> str:
    if row.checker_user_id is not None:
        return row.checker_name
    return ANONYMOUS_CHECKER if row.client_key else OPERATOR_CHECKER


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands datetimes back without a zone: everything stored is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def cardholder_checks(
    *, uow: AbstractUnitOfWork, who: Principal, cardholder_id: int, limit: int = CHECK_LOG_LENGTH
) -> list[CheckLogEntry]:
    """Who checked a holder's cards and when, newest first: for the holder themselves."""
    with uow:
        if not can_see_check_log(who, cardholder_id) or uow.cardholders.get(cardholder_id) is None:
            raise NotFound(f"no cardholder {cardholder_id} that you can see")
        return [
            CheckLogEntry(
                checked_at=_aware(row.checked_at),
                card_number=row.card_number,
                checker=_checker(row),
                method=str(row.method),
                outcome=str(row.outcome),
                site=row.site,
                synced_at=_aware(row.synced_at),
            )
            for row in uow.checks.for_cardholder(cardholder_id, limit)
        ]
