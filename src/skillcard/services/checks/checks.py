"""Smart Check online: a card checked by its number and its holder's surname, and the log of
every check, which a cardholder can read for their own cards.

Here each check is stored in the same transaction that reads the card: the answer and its
record stand or fall together. (The API's check on PostgreSQL, ``online_checks.py``, applies
the same rules on the event loop and stores the line just after answering.) Checks are not
written to the audit chain: they change nothing, and
a chain link per check would make every check in every process queue on one row; the check
log is their record.

A number with a wrong check digit is refused (422) before anything is looked up, and is not
stored: it is a slip of the finger, not a check of any card. A number that is well formed but
matches no card, and a real number with the wrong surname, get the same ``no_match`` answer,
after the same queries, so the answer never says whether a number exists.

QR checks (:func:`check_qr`) are verified against the registry's own keys and status lists
and logged in the same transaction, as ``qr_online``; checks a device made offline are sent
later (:func:`sync_offline_checks`), verified again here at the time they were made, and
logged as ``qr_offline`` with the server's outcome, never the device's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import BUSINESS_SCOPED, Principal, Role, require
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import Card, CardFacts, as_it_stood
from skillcard.domain.check_judgement import judge, log_line, surname_key_of
from skillcard.domain.checks import (
    CheckMethod,
    CheckOutcome,
    Colour,
    PublicCardView,
    can_see_check_log,
    clean_site,
)
from skillcard.domain.credentials import EXPIRING_SOON, VerificationResult
from skillcard.domain.holder_binding import PRESENTATION_WINDOW
from skillcard.domain.trust import listed_state
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials.credentials import local_bundle
from skillcard.services.credentials.verification import MAX_TEXT, VerifierBundle, verify
from skillcard.services.ports.checks import CheckLogRow
from skillcard.services.registry.card_history import card_changes
from skillcard.services.registry.cards import scheme_for_number
from skillcard.services.unit_of_work import AbstractUnitOfWork

ANONYMOUS_CHECKER = "a site checker (not signed in)"
OPERATOR_CHECKER = "the scheme's operator"
CHECK_LOG_LENGTH = 50
VALID_REASON = "Signed by the scheme, not revoked or suspended, and in date."
MAX_OFFLINE_BATCH = 500
OFFLINE_MAX_AGE = dt.timedelta(days=30)
OFFLINE_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class PublicCheckResult:
    """The answer to a check: the public view of the card, and when it was checked (so a
    screenshot of the answer says how old it is)."""

    view: PublicCardView
    checked_at: dt.datetime
    photo_url: str | None = None  # a short-lived signed link, added by the web layer


@dataclass(frozen=True)
class QrCheckResult:
    """A QR check: the verification itself (for the API's answer) and its public view."""

    result: VerificationResult
    view: PublicCardView
    checked_at: dt.datetime

    @property
    def public(self) -> PublicCheckResult:
        return PublicCheckResult(view=self.view, checked_at=self.checked_at)


@dataclass(frozen=True)
class OfflineCheck:
    """One check a device made offline, as it sends it: the device's outcome is only kept
    to say whether the server agrees."""

    qr: str
    checked_at: dt.datetime
    outcome: str | None = None
    site: str | None = None


@dataclass(frozen=True)
class OfflineSyncItem:
    """What became of one offline check: stored with the server's outcome, or refused."""

    index: int
    stored: bool
    outcome: str | None = None
    agrees: bool | None = None
    error: str | None = None


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
    site, key = clean_site(site), surname_key_of(surname)
    with uow:
        scheme, normalised = scheme_for_number(uow, number, scheme_code)
        found = uow.checks.card(scheme.id, normalised, surname_key=key)
        view = judge(
            found, surname_key=key, scheme=scheme, card_number=normalised, today=card_day(now)
        )
        uow.checks.add(
            log_line(view, found, scheme_id=scheme.id, who=who, client=client, site=site, at=now)
        )
        uow.commit()
    return PublicCheckResult(view=view, checked_at=now)


def qr_view(
    result: VerificationResult,
    photo_sha256: str | None = None,
    titles: dict[str, str] | None = None,
) -> PublicCardView:
    """A QR verification's result as the public view the number check shows; the photo is
    the registry's photo of the card's holder (the printed code carries none), and the
    card's qualification codes read as their ``titles`` (code -> title) where known."""
    claims = result.claims
    colour = Colour.RED
    if result.valid:
        colour = Colour.AMBER if EXPIRING_SOON in result.warnings else Colour.GREEN
    reasons = tuple(result.reasons) or ((VALID_REASON,) if result.valid else ())
    outcome = CheckOutcome(result.outcome.value)
    if claims is None:
        return PublicCardView(outcome=outcome, colour=colour, reasons=reasons)
    return PublicCardView(
        outcome=outcome,
        colour=colour,
        reasons=reasons,
        warnings=tuple(result.warnings),
        scheme=claims.scheme,
        card_number=claims.number,
        holder_name=claims.holder_name,
        photo_sha256=photo_sha256,
        card_type=claims.card_type_title,
        occupation=claims.occupation or None,
        qualifications=tuple((titles or {}).get(c, c) for c in claims.qualifications),
        expires_on=claims.expires,
    )


def _verify_and_log(
    uow: AbstractUnitOfWork,
    text: str,
    *,
    at: dt.datetime,
    bundle: VerifierBundle,
    method: CheckMethod,
    who: Principal | None,
    client: str | None,
    site: str | None,
    synced_at: dt.datetime | None = None,
    as_it_was: bool = False,
    window: dt.timedelta = PRESENTATION_WINDOW,
) -> tuple[VerificationResult, PublicCardView]:
    """Verify QR text at ``at`` and add its check (inside the caller's transaction). The
    card is named only when a trusted key vouched for the claims: a forged code's claims
    are not believed, so its check is logged against no card. ``as_it_was``: judge the card
    by its status at ``at`` (a check made offline), not by the status list of now."""
    result = verify(text, bundle, at, window)
    scheme_id = photo = found = None
    if result.claims is not None:
        scheme = uow.schemes.by_code(result.claims.scheme)
        if scheme is not None:
            scheme_id = scheme.id
            # the card reader every check uses; no surname, so no qualifications read
            found = uow.checks.card(scheme.id, result.claims.number, surname_key="")
            if found is not None:
                photo = found.holder.photo_sha256
                if as_it_was:
                    result = _as_it_was(uow, text, result, found.card, bundle, at)
    titles = None
    if result.claims is not None and result.claims.qualifications:
        titles = {q.code: q.title for q in uow.reference.qualifications()}
    view = qr_view(result, photo, titles)
    uow.checks.add(
        log_line(view, found, scheme_id=scheme_id, who=who, at=at, client=client, site=site,
                 synced_at=synced_at, method=method)
    )  # fmt: skip
    return result, view


def _as_it_was(
    uow: AbstractUnitOfWork,
    text: str,
    result: VerificationResult,
    card: Card | CardFacts,
    bundle: VerifierBundle,
    at: dt.datetime,
) -> VerificationResult:
    """The result of verifying ``text`` at ``at`` with the card's entry in its status list as
    it stood then: a card revoked since the check was good when it was checked, and one
    reinstated since was not."""
    assert result.claims is not None  # the claims named this card
    then = as_it_stood(card, card_changes(uow, card.number), at).status
    listed = bundle.status_lists.get(result.claims.scheme)
    index = result.claims.status_index
    if then == card.status or listed is None or index >= listed.entries:
        return result
    past = listed.with_state(index, listed_state(then))
    return verify(text, bundle.with_status_list(past), at)


def check_qr(
    *,
    uow: AbstractUnitOfWork,
    text: str,
    who: Principal | None = None,
    client: str | None = None,
    site: str | None = None,
    now: dt.datetime | None = None,
    window: dt.timedelta = PRESENTATION_WINDOW,
) -> QrCheckResult:
    """Verify QR text online against the registry's keys and status lists, and log the
    check as ``qr_online`` in the same transaction (who and site as :func:`check_card`).
    ``window``: how far a phone's presentation time may be from now (a setting).
    Never raises for bad text: that is the ``malformed`` outcome, logged too."""
    now = now or utcnow()
    site = clean_site(site)
    with uow:
        bundle = local_bundle(uow, now)
        result, view = _verify_and_log(
            uow,
            text[: MAX_TEXT + 1],
            at=now,
            bundle=bundle,
            method=CheckMethod.QR_ONLINE,
            who=who,
            client=client,
            site=site,
            window=window,
        )
        uow.commit()
    return QrCheckResult(result=result, view=view, checked_at=now)


def _offline_refusal(item: OfflineCheck, now: dt.datetime) -> str:
    at = item.checked_at
    if at.tzinfo is None:
        return "checked_at must give its time zone (e.g. 2026-05-01T09:30:00Z)"
    if at > now + OFFLINE_SKEW:
        return "checked_at is in the future: check the device's clock"
    if at < now - OFFLINE_MAX_AGE:
        return f"checked_at is more than {OFFLINE_MAX_AGE.days} days ago: too old to record"
    if not item.qr or len(item.qr) > MAX_TEXT:
        return "qr must be the QR code's text, SC1:..."
    try:
        clean_site(item.site)
    except InvalidInput as problem:
        return problem.message
    return ""


def sync_offline_checks(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    items: list[OfflineCheck],
    now: dt.datetime | None = None,
) -> list[OfflineSyncItem]:
    """Record checks a signed-in checker's device made offline. Each QR text is verified
    again here, at the time the device checked it, and stored as ``qr_offline`` with the
    server's outcome (the device's is only compared), ``checked_at`` the device's time and
    ``synced_at`` now. An item whose time is in the future (beyond 5 minutes of skew) or
    more than 30 days old is refused on its own; the others are stored, in one transaction.

    A card is judged by its status when it was checked (from its audit trail): one revoked
    since shows as it was then, as does one suspended then and reinstated since.
    """
    require(
        who.is_hub_admin or who.role == Role.SCHEME_ADMIN or who.role in BUSINESS_SCOPED,
        "record checks made offline",
    )
    if len(items) > MAX_OFFLINE_BATCH:
        raise InvalidInput(f"send at most {MAX_OFFLINE_BATCH} checks at a time")
    now = now or utcnow()
    answers = []
    with uow:
        bundle = local_bundle(uow, now)
        for index, item in enumerate(items):
            refusal = _offline_refusal(item, now)
            if refusal:
                answers.append(OfflineSyncItem(index=index, stored=False, error=refusal))
                continue
            _, view = _verify_and_log(
                uow,
                item.qr,
                at=item.checked_at.astimezone(dt.UTC),
                bundle=bundle,
                method=CheckMethod.QR_OFFLINE,
                who=who,
                client=None,
                site=clean_site(item.site),
                synced_at=now,
                as_it_was=True,
            )
            agrees = None if item.outcome is None else item.outcome == view.outcome.value
            answers.append(
                OfflineSyncItem(index=index, stored=True, outcome=view.outcome.value, agrees=agrees)
            )
        uow.commit()
    return answers


def _checker(row: CheckLogRow) -> str:
    if row.checker_user_id is not None and row.checker_name is not None:
        return row.checker_name
    return ANONYMOUS_CHECKER if row.client_key else OPERATOR_CHECKER


def cardholder_checks(
    *, uow: AbstractUnitOfWork, who: Principal, cardholder_id: int, limit: int = CHECK_LOG_LENGTH
) -> list[CheckLogEntry]:
    """Who checked a holder's cards and when, newest first: for the holder themselves."""
    with uow:
        if not can_see_check_log(who, cardholder_id) or uow.cardholders.get(cardholder_id) is None:
            raise NotFound(f"no cardholder {cardholder_id} that you can see")
        return [
            CheckLogEntry(
                checked_at=row.checked_at,
                card_number=row.card_number,
                checker=_checker(row),
                method=str(row.method),
                outcome=str(row.outcome),
                site=row.site,
                synced_at=row.synced_at,
            )
            for row in uow.checks.for_cardholder(cardholder_id, limit)
        ]
