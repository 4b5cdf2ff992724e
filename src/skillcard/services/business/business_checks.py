"""A business's checks: single and spot checks, checks a phone queued offline, and the
history the business keeps of them.

A business check is a public check (the same read model, the same entry in the card's check
log, which its holder can read) plus the business's own record of it (how, where, GPS, note,
face confirmed), written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import Principal
from skillcard.domain.business import BusinessCheck, BusinessCheckMethod
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import as_it_stood
from skillcard.domain.check_judgement import judge, log_line, surname_key_of
from skillcard.domain.checks import CardOnRecord, CheckOutcome, PublicCardView
from skillcard.errors import InvalidInput, SkillcardError
from skillcard.services.audit.audit import utcnow
from skillcard.services.business.business import business_id_for
from skillcard.services.business.business_budget import Budget, note_outcomes, spend
from skillcard.services.checks.checks import PublicCheckResult
from skillcard.services.registry.card_history import card_changes
from skillcard.services.registry.cards import scheme_for_number
from skillcard.services.unit_of_work import AbstractUnitOfWork

MAX_OFFLINE = 500
OFFLINE_MAX_AGE = dt.timedelta(days=30)
OFFLINE_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Where:
    """Where and how a check was made, as the checker says."""

    site: str = ""
    latitude: float | None = None
    longitude: float | None = None
    note: str = ""
    face_confirmed: bool | None = None


@dataclass(frozen=True)
class OfflineItem:
    number: str
    surname: str
    checked_at: dt.datetime
    scheme: str | None = None
    where: Where = Where()


@dataclass(frozen=True)
class OfflineResult:
    index: int
    stored: bool
    outcome: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Answer:
    """What a business is told of a card (the public view, or no match) and what its logs
    keep: the card found by the number (the same for a wrong surname) and its scheme's id."""

    view: PublicCardView
    found: CardOnRecord | None
    scheme_id: int

    @property
    def card_id(self) -> int | None:
        return self.found.card.id if self.found is not None else None


def answer(
    uow: AbstractUnitOfWork,
    number: str,
    surname: str,
    scheme_code: str | None,
    day: dt.date,
    *,
    at: dt.datetime | None = None,
) -> Answer:
    """The check's judgement of the card (:func:`skillcard.domain.check_judgement.judge`).
    ``at``: a check made offline, judged by the card's status and expiry as they stood then."""
    key = surname_key_of(surname)
    scheme, normalised = scheme_for_number(uow, number, scheme_code)
    found = uow.checks.card(scheme.id, normalised, surname_key=key)
    if found is not None and at is not None and found.belongs_to(key):
        found = found._replace(card=as_it_stood(found.card, card_changes(uow, normalised), at))
    view = judge(found, surname_key=key, scheme=scheme, card_number=normalised, today=day)
    assert scheme.id is not None
    return Answer(view, found, scheme.id)


def log_public_check(
    uow: AbstractUnitOfWork,
    who: Principal,
    said: Answer,
    at: dt.datetime,
    site: str = "",
    synced_at: dt.datetime | None = None,
) -> None:
    """The entry in the card's check log, which its holder reads: every answer a business
    is given about a card (a check, a workforce addition) is one."""
    uow.checks.add(
        log_line(
            said.view, said.found, scheme_id=said.scheme_id, who=who, at=at, site=site,
            synced_at=synced_at,
        )
    )  # fmt: skip


def _log(
    uow: AbstractUnitOfWork,
    who: Principal,
    business_id: int,
    said: Answer,
    method: BusinessCheckMethod,
    at: dt.datetime,
    where: Where,
    synced_at: dt.datetime | None = None,
) -> None:
    log_public_check(uow, who, said, at, where.site, synced_at)
    view = said.view
    uow.business_checks.add(
        BusinessCheck(
            business_id=business_id,
            checked_at=at,
            method=method,
            outcome=view.outcome.value,
            checker=who.label,
            checker_user_id=who.user_id,
            scheme=view.scheme,
            card_number=view.card_number,
            holder_name=view.holder_name or "",
            card_id=said.card_id,
            site=where.site,
            latitude=where.latitude,
            longitude=where.longitude,
            note=where.note,
            face_confirmed=where.face_confirmed,
            synced_at=synced_at,
        )
    )


def check_for_business(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    surname: str,
    budget: Budget,
    scheme_code: str | None = None,
    spot: bool = False,
    where: Where = Where(),
    business_id: int | None = None,
    now: dt.datetime | None = None,
) -> PublicCheckResult:
    """Check a card for a business, drawing on its budget, and keep it in the business's
    history. A spot check names its site and says whether the checker confirmed the face
    matches the card."""
    business_id = business_id_for(who, business_id)
    if spot and not where.site.strip():
        raise InvalidInput("a spot check needs the site where it was made", field="site")
    if spot and where.face_confirmed is None:
        raise InvalidInput("say whether the face matches the photo on the card", field="face")
    now = now or utcnow()
    method = BusinessCheckMethod.SPOT if spot else BusinessCheckMethod.SINGLE
    with uow:
        spend(uow, budget, business_id, now=now)
        said = answer(uow, number, surname, scheme_code, card_day(now))
        _log(uow, who, business_id, said, method, now, where)
        view = said.view
        no_match = int(view.outcome == CheckOutcome.NO_MATCH)
        note_outcomes(uow, budget, business_id, no_match, who=who, now=now)
        uow.commit()
    return PublicCheckResult(view=view, checked_at=now)


def _refusal(item: OfflineItem, now: dt.datetime) -> str:
    at = item.checked_at
    if at.tzinfo is None:
        return "checked_at must give its time zone (e.g. 2026-05-01T09:30:00Z)"
    if at > now + OFFLINE_SKEW:
        return "checked_at is in the future: check the device's clock"
    if at < now - OFFLINE_MAX_AGE:
        return f"checked_at is more than {OFFLINE_MAX_AGE.days} days ago: too old to record"
    return ""


def sync_offline(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    items: list[OfflineItem],
    budget: Budget,
    business_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[OfflineResult]:
    """Record checks a phone queued while it had no signal, each at the time it was made
    (the card's status and expiry as they stood then: a revocation or a renewal since does not
    change the past), ``synced_at`` now. A bad item is refused on its own. Every item draws on
    the business's budget: a sync larger than what is left is refused whole (429), and the
    phone keeps its queue to send again."""
    business_id = business_id_for(who, business_id)
    if len(items) > MAX_OFFLINE:
        raise InvalidInput(f"send at most {MAX_OFFLINE} checks at a time")
    now = now or utcnow()
    answers = []
    with uow:
        if items:
            spend(uow, budget, business_id, len(items), now=now)
        for index, item in enumerate(items):
            refusal = _refusal(item, now)
            if not refusal:
                try:
                    at = item.checked_at.astimezone(dt.UTC)
                    said = answer(uow, item.number, item.surname, item.scheme, card_day(at), at=at)
                    method, where = BusinessCheckMethod.OFFLINE, item.where
                    _log(uow, who, business_id, said, method, at, where, now)
                except SkillcardError as problem:  # a bad check digit, an unknown scheme
                    refusal = problem.message
                else:
                    answers.append(OfflineResult(index, True, said.view.outcome.value))
                    continue
            answers.append(OfflineResult(index, False, error=refusal))
        no_matches = sum(a.outcome == CheckOutcome.NO_MATCH.value for a in answers)
        note_outcomes(uow, budget, business_id, no_matches, who=who, now=now)
        uow.commit()
    return answers


def history(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int | None = None,
    business_id: int | None = None,
) -> list[BusinessCheck]:
    """The business's checks in [start, end), oldest first (newest 20 without a range)."""
    business_id = business_id_for(who, business_id)
    with uow:
        if start is None and end is None:
            return uow.business_checks.recent(business_id, limit or 20)
        start = start or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        end = end or utcnow() + dt.timedelta(seconds=1)
        return uow.business_checks.between(business_id, start, end, limit)
