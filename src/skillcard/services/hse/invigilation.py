"""Remote invigilation of a running attempt, and the adjustments and conflicts around it.

- :func:`report_event`: an event the candidate's page saw (tab hidden, blur, copy...).
- :func:`add_snapshot`: a webcam frame, checked like a photo, with faces counted on the server.
- :func:`show_attention` / :func:`answer_attention`: a target the candidate must click in time.
- :func:`grant_adjustment`: extra time, a reader, larger text (who granted it is recorded).
- :func:`declare_conflict`: an invigilator declares an interest in a candidate.

A violation is handled by the assessment's policy: ``flag`` records it for the reviewer;
``fail`` ends the attempt there and then, as a fail.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from skillcard.adapters.invigilation_files import MAX_SNAPSHOT_BYTES
from skillcard.domain.accounts import Principal, Role, require, tied
from skillcard.domain.assessment_attempts import Attempt, AttemptState
from skillcard.domain.invigilation import (
    Adjustment,
    DeclaredConflict,
    EventKind,
    face_event,
    page_event,
)
from skillcard.errors import Conflict, InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.hse.hse_attempts import (
    add_event,
    finalise_if_overdue,
    missed_attention,
    note,
    own_attempt,
)
from skillcard.services.ports.files import InvigilationFiles
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

FaceCounter = Callable[[bytes], int]


def _running(uow: AbstractUnitOfWork, who: Principal, attempt_id: int, now: dt.datetime) -> Attempt:
    attempt = own_attempt(uow, who, attempt_id, for_update=True)
    if finalise_if_overdue(uow, attempt, now):
        uow.commit()
        raise Conflict("the time for this attempt is up: your saved answers were submitted")
    if attempt.state != AttemptState.STARTED:
        raise Conflict("this attempt is not in progress")
    return attempt


def report_event(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    attempt_id: int,
    kind: str,
    detail: str = "",
    now: dt.datetime | None = None,
) -> bool:
    """Record what the page saw; True if, by the policy, it ended the attempt."""
    now = now or utcnow()
    found = page_event(kind)
    with uow:
        attempt = _running(uow, who, attempt_id, now)
        ended = note(uow, attempt, found, now, detail=" ".join(detail.split())[:200])
        uow.commit()
        return ended


def add_snapshot(
    *,
    uow: AbstractUnitOfWork,
    store: InvigilationFiles,
    count_faces: FaceCounter,
    who: Principal,
    attempt_id: int,
    data: bytes,
    now: dt.datetime | None = None,
) -> int:
    """Store a webcam frame and flag it if it shows no face or several; the face count."""
    now = now or utcnow()
    digest, jpeg = store.check(data, MAX_SNAPSHOT_BYTES, "webcam snapshot", webcam=True)
    with uow:  # a stranger's or a finished attempt is refused before the detector's time
        _running(uow, who, attempt_id, now)
    faces = count_faces(jpeg)  # outside the transaction: it would hold the attempt's row lock
    with uow:
        attempt = _running(uow, who, attempt_id, now)
        store.keep(digest, jpeg)
        add_event(uow, attempt, EventKind.SNAPSHOT, now, snapshot_sha256=digest, faces=faces)
        flag = face_event(faces)
        if flag is not None:
            note(uow, attempt, flag, now, snapshot_sha256=digest, faces=faces)
        uow.commit()
        return faces


def show_attention(
    *, uow: AbstractUnitOfWork, who: Principal, attempt_id: int, now: dt.datetime | None = None
) -> tuple[str, int]:
    """Show an attention target: its token and the seconds the candidate has to click it.
    A target still unanswered and past its time counts as missed first."""
    now = now or utcnow()
    with uow:
        attempt = _running(uow, who, attempt_id, now)
        if missed_attention(uow, attempt, now):
            uow.commit()
            return "", 0
        seconds = on_record(
            uow.hse_assessments.get(attempt.assessment_id), "the assessment"
        ).settings.attention_seconds
        attempt.attention_token = secrets.token_urlsafe(16)
        attempt.attention_due = now + dt.timedelta(seconds=seconds)
        add_event(uow, attempt, EventKind.ATTENTION_SHOWN, now)
        uow.commit()
        return attempt.attention_token, seconds


def answer_attention(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    attempt_id: int,
    token: str,
    now: dt.datetime | None = None,
) -> bool:
    """The candidate clicked the target: True if in time (else it is recorded as missed)."""
    now = now or utcnow()
    with uow:
        attempt = _running(uow, who, attempt_id, now)
        if not attempt.attention_token or not secrets.compare_digest(
            attempt.attention_token, token or ""
        ):
            raise InvalidInput("that attention check is not the one shown (or was answered)")
        if missed_attention(uow, attempt, now):
            uow.commit()
            return False
        attempt.attention_token = attempt.attention_due = None
        add_event(uow, attempt, EventKind.ATTENTION_OK, now)
        uow.commit()
        return True


@dataclass(frozen=True)
class Candidate:
    card_number: str
    name: str


def candidate_choices(*, uow: AbstractUnitOfWork, who: Principal) -> list[Candidate]:
    """The people who have sat the assessment in the invigilator's scheme (any scheme for the
    hub admin), newest first, by the card number they carry: what the adjustment and
    conflict forms offer to choose from."""
    require(
        who.is_hub_admin or who.role in (Role.SCHEME_ADMIN, Role.INVIGILATOR),
        "choose a candidate",
    )
    scheme_id = None if who.is_hub_admin else who.scheme_id
    with uow:
        found = []
        for holder_id in uow.hse_attempts.recent_candidates(scheme_id):
            holder = uow.cardholders.get(holder_id)
            held = [
                c
                for c in uow.cards.of_cardholder(holder_id)
                if scheme_id is None or c.scheme_id == scheme_id
            ]
            if holder is not None and held:
                found.append(Candidate(held[0].number, f"{holder.given_names} {holder.surname}"))
        return found


def candidate_by_card(*, uow: AbstractUnitOfWork, who: Principal, card_number: str) -> int:
    """The cardholder carrying card ``card_number`` of the invigilator's scheme (of any scheme
    for the hub admin): NotFound otherwise, saying the number as typed."""
    number = "".join(card_number.split()).upper()[:40]
    with uow:
        if who.is_hub_admin:
            schemes = [s.id for s in uow.schemes.list()]
        else:
            schemes = [who.scheme_id] if who.scheme_id is not None else []
        for scheme_id in schemes:
            card = uow.cards.by_number(scheme_id, number) if number else None
            if card is not None:
                return card.cardholder_id
    raise NotFound(f"no card {number or '(none given)'} of your scheme: check the number")


def may_grant(who: Principal, scheme_ids: set[int]) -> bool:
    if who.is_hub_admin:
        return True
    return who.role in (Role.SCHEME_ADMIN, Role.INVIGILATOR) and who.scheme_id in scheme_ids


def grant_adjustment(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    cardholder_id: int,
    extra_minutes: int = 0,
    reader: bool = False,
    large_text: bool = False,
    language: str = "en",
    now: dt.datetime | None = None,
) -> Adjustment:
    """Reasonable adjustments for a candidate, applied to their next (or not yet started)
    attempt; granted by a scheme admin or invigilator of one of their schemes."""
    now = now or utcnow()
    with uow:
        schemes = uow.cards.scheme_ids_of_cardholder(cardholder_id)
        if uow.cardholders.get(cardholder_id) is None or not may_grant(who, schemes):
            raise NotFound(f"no cardholder {cardholder_id} that you can see")
        assessment = uow.hse_assessments.by_code("HSE")
        settings = assessment.settings if assessment else None
        limit = settings.max_extra_minutes if settings else 60
        if not 0 <= extra_minutes <= limit:
            raise InvalidInput(f"extra time is between 0 and {limit} minutes")
        if settings and language not in settings.languages:
            raise InvalidInput(f"the assessment is offered in {', '.join(settings.languages)}")
        adjustment = uow.hse_adjustments.of_cardholder(cardholder_id)
        if adjustment is None:
            adjustment = Adjustment(cardholder_id=cardholder_id, granted_by="", granted_at=now)
            uow.hse_adjustments.add(adjustment)
        adjustment.extra_minutes, adjustment.reader = extra_minutes, reader
        adjustment.large_text, adjustment.language = large_text, language
        adjustment.granted_by, adjustment.granted_at = who.label, now
        waiting = uow.hse_attempts.open_of(cardholder_id)
        if waiting is not None and waiting.state != AttemptState.STARTED:
            waiting.extra_minutes, waiting.reader = extra_minutes, reader
            waiting.large_text = large_text
        record(
            uow,
            who,
            "hse.adjustment.grant",
            "cardholder",
            cardholder_id,
            now=now,
            detail={"extra_minutes": extra_minutes, "reader": reader, "large_text": large_text},
        )
        uow.commit()
        return adjustment


def declare_conflict(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    cardholder_id: int,
    relationship: str,
    now: dt.datetime | None = None,
) -> None:
    """An invigilator declares an interest (a relative, a friend) in a candidate."""
    require(who.role == Role.INVIGILATOR and who.user_id is not None, "declare a conflict")
    relationship = " ".join(relationship.split())[:100]
    if not relationship:
        raise InvalidInput("say how you know the candidate (for example: my brother)")
    now = now or utcnow()
    with uow:
        if uow.cardholders.get(cardholder_id) is None:
            raise NotFound(f"no cardholder {cardholder_id}")
        if uow.hse_conflicts.exists(who.user_id, cardholder_id):
            raise Conflict("you have already declared a conflict with this candidate")
        uow.hse_conflicts.add(
            DeclaredConflict(
                invigilator_user_id=tied(who.user_id, "a signed-in user"),
                cardholder_id=cardholder_id,
                declared_at=now,
                relationship=relationship,
            )
        )
        record(
            uow,
            who,
            "hse.conflict.declare",
            "cardholder",
            cardholder_id,
            now=now,
            reason=relationship,
        )
        uow.commit()
