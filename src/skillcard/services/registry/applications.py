"""Applications for a card: a holder applies, sees the rules' checklist, adds evidence and
submits; a scheme admin works the queue and approves (which issues the card), refers or
rejects. Payment is out of scope: skillcard never takes money.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.adapters.evidence_store import check_evidence
from skillcard.domain.accounts import Principal, Role, can_manage_scheme, require, tied
from skillcard.domain.applications import QUEUE_STATES, Application, AppState
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import RENEWAL_WINDOW_DAYS
from skillcard.domain.cpd import EvidenceFile
from skillcard.domain.eligibility import Decision
from skillcard.domain.eligibility_rules import RuleBook
from skillcard.domain.provenance import Source, hse_source
from skillcard.errors import Conflict, InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.clock import card_today
from skillcard.services.mycard.cpd import add_evidence
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.ports.files import EvidenceFiles
from skillcard.services.registry import cards as card_service
from skillcard.services.registry import eligibility
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


@dataclass(frozen=True)
class ApplicationView:
    application: Application
    holder_name: str
    scheme_code: str
    card_type_code: str
    card_type_title: str
    decision: Decision
    evidence: list[EvidenceFile]
    card_number: str | None


def _may_see(who: Principal, app: Application) -> bool:
    if who.role == Role.CARDHOLDER:
        return who.cardholder_id == app.cardholder_id
    return can_manage_scheme(who, app.scheme_id)


def _load(uow: AbstractUnitOfWork, who: Principal, application_id: int) -> Application:
    app = uow.applications.get(application_id)
    if app is None or not _may_see(who, app):
        raise NotFound(f"no application {application_id} that you can see")
    return app


def _view(
    uow: AbstractUnitOfWork, app: Application, today: dt.date, book: RuleBook | None
) -> ApplicationView:
    scheme = on_record(uow.schemes.get(app.scheme_id), "the scheme")
    card_type = on_record(uow.card_types.get(app.card_type_id), "the card type")
    holder = on_record(uow.cardholders.get(app.cardholder_id), "the cardholder")
    decision = eligibility.decide(
        uow,
        cardholder_id=app.cardholder_id,
        scheme_code=scheme.code,
        code=app.occupation_code,
        today=today,
        book=book,
    )
    card = uow.cards.get(app.card_id) if app.card_id else None
    return ApplicationView(
        application=app,
        holder_name=holder.full_name,
        scheme_code=scheme.code,
        card_type_code=card_type.code,
        card_type_title=card_type.title,
        decision=decision,
        evidence=uow.evidence.of_application(app.id),
        card_number=card.number if card else None,
    )


def start_application(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    occupation_code: str,
    renews_card_number: str | None = None,
    book: RuleBook | None = None,
    now: dt.datetime | None = None,
) -> int:
    """A holder starts an application (a draft) for the card of an occupation."""
    now = now or utcnow()
    require(who.role == Role.CARDHOLDER and who.cardholder_id is not None, "apply for a card")
    with uow:
        scheme = scheme_named(uow, scheme_code)
        rule = (book or eligibility.shipped_rule_book()).find(scheme.code, occupation_code)
        if rule is None:
            raise NotFound(f"{scheme.code} has no card for the occupation {occupation_code!r}")
        card_type = uow.card_types.by_code(scheme.id, rule.card_type)
        if card_type is None:
            raise NotFound(f"{scheme.code} has no card type {rule.card_type!r}")
        renews = None
        if renews_card_number:
            renews = uow.cards.by_number(scheme.id, renews_card_number.strip().upper())
            if renews is None or renews.cardholder_id != who.cardholder_id:
                raise NotFound(f"you hold no card {renews_card_number} of {scheme.code}")
            if not card_type.renewable:
                raise InvalidInput(f"a {card_type.title} card cannot be renewed: apply again")
            if renews.card_type_id != card_type.id:
                raise InvalidInput(f"card {renews.number} is not a {card_type.title} card")
            opens = renews.expires_on - dt.timedelta(days=RENEWAL_WINDOW_DAYS)
            if card_day(now) < opens:  # the card's own rule, checked before anyone does any work
                raise InvalidInput(
                    f"card {renews.number} can be renewed from {opens:%-d %B %Y}, "
                    f"{RENEWAL_WINDOW_DAYS} days before it expires"
                )
        for other in uow.applications.of_cardholder(tied(who.cardholder_id, "a cardholder")):
            if other.is_open and other.card_type_id == card_type.id:
                raise Conflict(f"you already have an open application (number {other.id})")
        app = Application(
            cardholder_id=tied(who.cardholder_id, "a cardholder"),
            scheme_id=scheme.id,
            card_type_id=card_type.id,
            occupation_code=rule.name,
            created_at=now,
            updated_at=now,
            kind="renewal" if renews else "new",
            renews_card_id=renews.id if renews else None,
        )
        uow.applications.add(app)
        record(
            uow,
            who,
            "application.start",
            "application",
            app.id,
            now=now,
            detail={"scheme": scheme.code, "occupation": rule.name, "kind": app.kind},
        )
        uow.commit()
        return app.id


def show_application(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    application_id: int,
    today: dt.date | None = None,
    book: RuleBook | None = None,
) -> ApplicationView:
    with uow:
        app = _load(uow, who, application_id)
        return _view(uow, app, today or card_today(), book)


def my_applications(*, uow: AbstractUnitOfWork, who: Principal) -> list[ApplicationView]:
    require(who.role == Role.CARDHOLDER and who.cardholder_id is not None, "list applications")
    with uow:
        today = card_today()
        return [
            _view(uow, a, today, None)
            for a in uow.applications.of_cardholder(tied(who.cardholder_id, "a cardholder"))
        ]


def add_application_evidence(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    store: EvidenceFiles,
    application_id: int,
    files: list[tuple[str, bytes]],
    now: dt.datetime | None = None,
) -> int:
    """The holder adds what the checklist lacks; how many files were added."""
    now = now or utcnow()
    for name, data in files:
        check_evidence(data, name)
    with uow:
        app = _load(uow, who, application_id)
        require(who.cardholder_id == app.cardholder_id, "add evidence to this application")
        if not app.is_open:
            raise Conflict("this application is closed: start a new one")
        for name, data in files:
            add_evidence(uow, store, app.cardholder_id, name, data, now, application_id=app.id)
        record(
            uow,
            who,
            "application.evidence",
            "application",
            app.id,
            now=now,
            detail={"files": len(files)},
        )
        uow.commit()
        return len(files)


def submit_application(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    application_id: int,
    now: dt.datetime | None = None,
) -> None:
    now = now or utcnow()
    with uow:
        app = _load(uow, who, application_id)
        require(who.cardholder_id == app.cardholder_id, "submit this application")
        app.move(AppState.RECEIVED, now)
        record(uow, who, "application.submit", "application", app.id, now=now)
        uow.commit()


def queue(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    today: dt.date | None = None,
    book: RuleBook | None = None,
) -> list[ApplicationView]:
    """The applications waiting for a scheme admin's decision, oldest first."""
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "work the applications queue")
    day = today or card_today()
    with uow:
        scheme_id = None if who.is_hub_admin else who.scheme_id
        waiting = uow.applications.queue(scheme_id, [s.value for s in QUEUE_STATES])
        return [_view(uow, a, day, book) for a in waiting]


def _tell_holder(
    uow: AbstractUnitOfWork,
    app: Application,
    subject: str,
    body: str,
    public_url: str,
    now: dt.datetime,
) -> None:
    holder = uow.cardholders.get(app.cardholder_id)
    if holder and holder.email:
        link = f"{public_url.rstrip('/')}/my/applications/{app.id}"
        queue_email(
            uow,
            to=holder.email,
            subject=subject,
            body=f"{body}\n\n{link}\n",
            kind="application.update",
            now=now,
        )


def decide_application(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    application_id: int,
    action: str,
    message: str = "",
    override_reason: str = "",
    public_url: str = "http://localhost:8000",
    book: RuleBook | None = None,
    now: dt.datetime | None = None,
) -> ApplicationView:
    """A scheme admin acts: ``verifying``, ``refer``, ``reject`` or ``approve`` (which issues
    the card, or renews it, once the rules are met). Approving while rules are unmet is a
    deliberate override: it needs ``override_reason``, which the audit log keeps with the
    rules that were not met."""
    now = now or utcnow()
    moves = {
        "verifying": AppState.VERIFYING,
        "refer": AppState.REFERRED,
        "reject": AppState.REJECTED,
        "approve": AppState.VERIFIED,
    }
    if action not in moves:
        raise InvalidInput(f"{action!r} is not something to do with an application")
    with uow:
        app = uow.applications.get(application_id)
        if app is None:
            raise NotFound(f"there is no application {application_id}")
        scheme = on_record(uow.schemes.get(app.scheme_id), "the scheme")
        require(can_manage_scheme(who, app.scheme_id), f"decide {scheme.code} applications")
        overridden: list[str] = []
        if action == "approve" and AppState(app.state) != AppState.VERIFIED:
            view = _view(uow, app, card_day(now), book)
            if not view.decision.eligible:
                if not override_reason.strip():
                    raise Conflict(
                        "the rules are not met yet: " + "; ".join(view.decision.unmet),
                        field="override_reason",
                    )
                overridden = list(view.decision.unmet)
            if AppState(app.state) == AppState.RECEIVED:
                app.move(AppState.VERIFYING, now, by=who.label)
        if AppState(app.state) != AppState.VERIFIED or action != "approve":
            app.move(moves[action], now, by=who.label, message=message)
        record(
            uow,
            who,
            f"application.{action}",
            "application",
            app.id,
            now=now,
            reason=override_reason.strip() if overridden else message,
            detail={"override": True, "unmet": overridden} if overridden else None,
        )
        if action in ("refer", "reject"):
            words = {"refer": "needs more from you", "reject": "was rejected"}[action]
            _tell_holder(uow, app, f"Your application {words}", message, public_url, now)
        uow.commit()
    if action == "approve":
        _issue(uow, who, app, scheme.code, public_url, now)
    return show_application(uow=uow, who=who, application_id=application_id, book=book)


def _qualifying_hse(uow: AbstractUnitOfWork, cardholder_id: int, today: dt.date) -> list[Source]:
    """The holder's HSE pass in force today, as the card's provenance (none: no source)."""
    for entry in uow.hse_records.of_cardholder(cardholder_id):  # latest first
        if entry.passed_on <= today <= entry.valid_until:
            passed = entry.passed_on.isoformat()
            return [hse_source(attempt_id=entry.attempt_id, record_id=entry.id, passed_on=passed)]
    return []


def _issue(
    uow: AbstractUnitOfWork,
    who: Principal,
    app: Application,
    scheme_code: str,
    public_url: str,
    now: dt.datetime,
) -> None:
    """Issue (or renew) the card in its own transaction, then mark the application done."""
    if app.renews_card_id:
        with uow:
            number = on_record(uow.cards.get(app.renews_card_id), "the card").number
        view = card_service.renew_card(uow=uow, who=who, number=number, now=now)
    else:
        with uow:
            card_type = on_record(uow.card_types.get(app.card_type_id), "the card type")
            occupation = uow.occupations.by_code(app.scheme_id, app.occupation_code)
            sources = _qualifying_hse(uow, app.cardholder_id, card_day(now))
        view = card_service.issue_card(
            uow=uow,
            who=who,
            cardholder_id=app.cardholder_id,
            scheme_code=scheme_code,
            card_type_code=card_type.code,
            occupation_code=occupation.code if occupation else None,
            sources=sources,
            now=now,
        )
    with uow:
        current = on_record(uow.applications.get(app.id), "the application")
        current.card_id = view.id
        current.move(AppState.CARD_ISSUED, now, by=who.label)
        record(
            uow,
            who,
            "application.card_issued",
            "application",
            app.id,
            now=now,
            detail={"card": view.number},
        )
        _tell_holder(
            uow,
            current,
            "Your card is ready",
            f"Your {view.card_type_title} card {view.number} has been issued. "
            "Open your record to show it on your phone.",
            public_url,
            now,
        )
        uow.commit()
