"""A candidate sitting the HSE assessment: start, identity check, answers, submit.

The server owns the clock. Every call that touches a running attempt first asks whether its
deadline has passed and, if so, submits it with the answers saved (``timed_out``) before doing
anything else: an answer sent after the deadline is refused, and nothing else is needed to
close attempts whose candidate simply went away (the review queue does the same).

What the candidate's browser receives never includes an item's key or explanation.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from skillcard.adapters.invigilation_files import (
    MAX_ID_PHOTO_BYTES,
    MAX_SNAPSHOT_BYTES,
)
from skillcard.domain.accounts import Principal, Role, require, tied
from skillcard.domain.assessment import (
    AssessmentSettings,
    FormEntry,
    ViolationPolicy,
    draw_form,
    score,
)
from skillcard.domain.assessment_attempts import Attempt, AttemptState
from skillcard.domain.invigilation import VIOLATIONS, EventKind, InvigilationEvent
from skillcard.errors import Conflict, InvalidInput, NotFound
from skillcard.services.accounts import accounts
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.hse.hse_bank import ASSESSMENT_CODE
from skillcard.services.ports.files import InvigilationFiles
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


def _candidate(who: Principal) -> int:
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "sit the HSE assessment: only the candidate may",
    )
    return tied(who.cardholder_id, "a cardholder")


def assessment_settings(uow: AbstractUnitOfWork, attempt: Attempt) -> AssessmentSettings:
    """The settings of the assessment the attempt is of."""
    return on_record(uow.hse_assessments.get(attempt.assessment_id), "the assessment").settings


def own_attempt(
    uow: AbstractUnitOfWork, who: Principal, attempt_id: int, *, for_update: bool = False
) -> Attempt:
    """The candidate's own attempt; another's is 'not found' (its existence is not revealed)."""
    return owned(who, uow.hse_attempts.get(attempt_id, for_update=for_update), attempt_id)


def owned(who: Principal, attempt: Attempt | None, attempt_id: int) -> Attempt:
    """``attempt`` if it is the candidate's own; another's is 'not found'."""
    holder = _candidate(who)
    if attempt is None or attempt.cardholder_id != holder:
        raise NotFound(f"no attempt {attempt_id} of yours")
    return attempt


def ends_before_an_answer(attempt: Attempt, now: dt.datetime) -> bool:
    """Whether ``save_answer`` must first end something (the attempt at its deadline, or a
    missed attention check) before it can look at the answer: writes a quick path leaves to
    it (see ``answers_online.py``)."""
    return attempt.is_overdue(now) or attempt.attention_missed(now)


def start_attempt(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str | None = None,
    seed: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """A new attempt with its form drawn (or the open one, to resume); its id."""
    holder = _candidate(who)
    now = now or utcnow()
    with uow:
        open_attempt = uow.hse_attempts.open_of(holder)
        if open_attempt is not None:
            return open_attempt.id
        assessment = uow.hse_assessments.by_code(ASSESSMENT_CODE)
        if assessment is None:
            raise Conflict("the HSE assessment is not set up yet: its item bank is empty")
        settings = assessment.settings
        scheme_id = _scheme_of(uow, holder, scheme_code)
        adjustment = uow.hse_adjustments.of_cardholder(holder)
        language = adjustment.language if adjustment else settings.languages[0]
        seed = seed if seed is not None else secrets.randbits(62)
        form = draw_form(seed, uow.hse_items.live(language), settings)
        attempt = Attempt(
            assessment_id=assessment.id,
            cardholder_id=holder,
            scheme_id=scheme_id,
            seed=seed,
            created_at=now,
            form=[[e.item_id, list(e.order)] for e in form],
            language=language,
            extra_minutes=adjustment.extra_minutes if adjustment else 0,
            reader=adjustment.reader if adjustment else False,
            large_text=adjustment.large_text if adjustment else False,
        )
        uow.hse_attempts.add(attempt)
        record(uow, who, "hse.attempt.create", "hse_attempt", attempt.id, now=now)
        uow.commit()
        return attempt.id


def _scheme_of(uow: AbstractUnitOfWork, holder: int, scheme_code: str | None) -> int:
    if scheme_code:
        scheme = uow.schemes.by_code(scheme_code)
        if scheme is None:
            raise NotFound(f"no scheme {scheme_code}")
        return scheme.id
    schemes = sorted(uow.cards.scheme_ids_of_cardholder(holder))
    if not schemes:
        raise InvalidInput("say which scheme you are taking the assessment for")
    return schemes[0]


def check_identity(
    *,
    uow: AbstractUnitOfWork,
    store: InvigilationFiles,
    who: Principal,
    attempt_id: int,
    face_photo: bytes,
    id_photo: bytes,
    now: dt.datetime | None = None,
) -> None:
    """Keep the webcam photo and the photo of the ID document; the attempt is then ready."""
    now = now or utcnow()
    # Both checked before anything is written: a refused file changes nothing stored.
    face, face_jpeg = store.check(face_photo, MAX_SNAPSHOT_BYTES, "webcam photo")
    document, id_jpeg = store.check(id_photo, MAX_ID_PHOTO_BYTES, "photo of your ID")
    with uow:
        attempt = own_attempt(uow, who, attempt_id, for_update=True)
        if attempt.state == AttemptState.CREATED:
            attempt.move("begin_id_check")
        attempt.move("id_checked")
        store.keep(face, face_jpeg)
        store.keep(document, id_jpeg)
        attempt.face_photo_sha256, attempt.id_photo_sha256 = face, document
        record(
            uow,
            who,
            "hse.attempt.id_check",
            "hse_attempt",
            attempt.id,
            now=now,
            detail={"face": face, "id_document": document},
        )
        uow.commit()


def begin(
    *, uow: AbstractUnitOfWork, who: Principal, attempt_id: int, now: dt.datetime | None = None
) -> None:
    """Start the clock: the deadline is fixed now, on the server."""
    now = now or utcnow()
    with uow:
        attempt = own_attempt(uow, who, attempt_id, for_update=True)
        if attempt.state == AttemptState.STARTED:
            return  # a second click on "Start" is harmless
        settings = on_record(
            uow.hse_assessments.get(attempt.assessment_id), "the assessment"
        ).settings
        attempt.start(now, settings.duration_minutes)
        add_event(uow, attempt, EventKind.STARTED, now)
        record(uow, who, "hse.attempt.start", "hse_attempt", attempt.id, now=now)
        uow.commit()


@dataclass(frozen=True)
class Question:
    number: int
    item_id: int
    stem: str
    options: list[str]  # in the order this candidate sees them
    chosen: int | None


@dataclass
class CandidateView:
    id: int
    state: str
    server_now: dt.datetime
    deadline: dt.datetime | None
    seconds_left: int
    answer_seq: int
    reader: bool
    large_text: bool
    snapshot_seconds: int
    attention_seconds: int
    attention_every_seconds: int
    has_id_check: bool
    minutes: int  # the time allowed, extra time included
    question_count: int
    questions: list[Question] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.chosen is not None)


def candidate_view(
    *, uow: AbstractUnitOfWork, who: Principal, attempt_id: int, now: dt.datetime | None = None
) -> CandidateView:
    """What the candidate's page shows: the questions in their order, no keys."""
    now = now or utcnow()
    with uow:
        attempt = own_attempt(uow, who, attempt_id)
        settings = on_record(
            uow.hse_assessments.get(attempt.assessment_id), "the assessment"
        ).settings
        if finalise_if_overdue(uow, attempt, now):
            uow.commit()
        questions = []
        if attempt.state == AttemptState.STARTED:
            items = uow.hse_items.many(attempt.form_item_ids())
            answers = uow.hse_attempts.answers(attempt.id)
            for number, (item_id, order) in enumerate(attempt.form, start=1):
                item = items[item_id]
                questions.append(
                    Question(
                        number=number,
                        item_id=item_id,
                        stem=item.stem,
                        options=[item.options[i] for i in order],
                        chosen=answers.get(item_id),
                    )
                )
        return CandidateView(
            id=attempt.id,
            state=attempt.state,
            server_now=now,
            deadline=attempt.deadline,
            seconds_left=attempt.seconds_left(now),
            answer_seq=attempt.answer_seq,
            reader=attempt.reader,
            large_text=attempt.large_text,
            snapshot_seconds=settings.snapshot_seconds,
            attention_seconds=settings.attention_seconds,
            attention_every_seconds=settings.attention_every_seconds,
            has_id_check=attempt.face_photo_sha256 is not None,
            minutes=settings.duration_minutes + attempt.extra_minutes,
            question_count=len(attempt.form),
            questions=questions,
        )


@dataclass(frozen=True)
class Saved:
    seq: int
    seconds_left: int
    server_now: dt.datetime


def save_answer(
    *,
    uow: AbstractUnitOfWork,
    who: Principal | str,
    attempt_id: int,
    item_id: int,
    choice: int | None,
    seq: int,
    now: dt.datetime | None = None,
) -> Saved:
    """Save one click. Refused (nothing stored) after the deadline, for another's attempt,
    for a question not on this form, for a choice that is not offered, or a replay. ``who``
    is the candidate, or their API token: it is then looked up in the save's transaction."""
    now = now or utcnow()
    with uow:
        if isinstance(who, str):
            who = accounts.token_principal_within(uow, who, now)
        attempt = own_attempt(uow, who, attempt_id, for_update=True)
        if finalise_if_overdue(uow, attempt, now):
            uow.commit()
            raise Conflict("the time for this attempt is up: your saved answers were submitted")
        if missed_attention(uow, attempt, now) and attempt.state != AttemptState.STARTED:
            uow.commit()  # the policy is "fail": the missed check ended the attempt
            raise Conflict("this attempt has ended: an attention check was missed")
        attempt.check_answer(item_id=item_id, choice=choice, seq=seq, now=now)
        uow.hse_attempts.save_answer(attempt, item_id, choice, seq, now)
        uow.commit()
        return Saved(seq=seq, seconds_left=attempt.seconds_left(now), server_now=now)


def submit(
    *, uow: AbstractUnitOfWork, who: Principal, attempt_id: int, now: dt.datetime | None = None
) -> str:
    """Hand in the answers; the attempt then waits for an invigilator. Its state."""
    now = now or utcnow()
    with uow:
        attempt = own_attempt(uow, who, attempt_id, for_update=True)
        ended = finalise_if_overdue(uow, attempt, now) or (
            attempt.state == AttemptState.STARTED  # under "fail", a missed check ends it
            and missed_attention(uow, attempt, now)
            and attempt.state != AttemptState.STARTED
        )
        if not ended:
            attempt.submit(now)  # refused unless the attempt is running
            mark(uow, attempt)
            add_event(uow, attempt, EventKind.SUBMITTED, now)
        record(uow, who, "hse.attempt.submit", "hse_attempt", attempt.id, now=now)
        uow.commit()
        return attempt.state


def finalise_if_overdue(uow: AbstractUnitOfWork, attempt: Attempt, now: dt.datetime) -> bool:
    """Submit an attempt whose deadline has passed, with its saved answers (caller commits)."""
    if not attempt.finalise_if_overdue(now):
        return False
    mark(uow, attempt)
    add_event(uow, attempt, EventKind.TIMED_OUT, now)
    return True


def mark(uow: AbstractUnitOfWork, attempt: Attempt) -> None:
    """Score the attempt as it stands (the invigilator's decision makes it count or not)."""
    settings = assessment_settings(uow, attempt)
    form = [FormEntry(int(i), tuple(order)) for i, order in attempt.form]
    items = uow.hse_items.many([e.item_id for e in form])
    result = score(form, items, uow.hse_attempts.answers(attempt.id), settings)
    attempt.score, attempt.out_of = result.correct, result.out_of
    attempt.passed = result.passed and not attempt.failed_by_violation


def add_event(
    uow: AbstractUnitOfWork, attempt: Attempt, kind: EventKind, now: dt.datetime, **extra: Any
) -> InvigilationEvent:
    event = InvigilationEvent(attempt_id=attempt.id, occurred_at=now, kind=kind.value, **extra)
    uow.hse_events.add(event)
    return event


def note(
    uow: AbstractUnitOfWork, attempt: Attempt, kind: EventKind, now: dt.datetime, **extra: Any
) -> bool:
    """Record an event; apply the assessment's policy to a violation: ``flag`` counts it for
    the reviewer, ``fail`` ends the attempt there and then. True if it ended the attempt."""
    violation = kind in VIOLATIONS
    add_event(uow, attempt, kind, now, violation=violation, **extra)
    if not violation:
        return False
    attempt.violations += 1
    policy = on_record(
        uow.hse_assessments.get(attempt.assessment_id), "the assessment"
    ).settings.violation_policy
    if policy == ViolationPolicy.FAIL and attempt.state == AttemptState.STARTED:
        attempt.failed_by_violation = True
        attempt.submit(now)
        mark(uow, attempt)
        add_event(uow, attempt, EventKind.SUBMITTED, now, detail="ended by a violation")
        return True
    return False


def missed_attention(uow: AbstractUnitOfWork, attempt: Attempt, now: dt.datetime) -> bool:
    """An attention check shown and not clicked in time is a violation, whichever request
    notices it first. True if one was missed."""
    if not attempt.attention_missed(now):
        return False
    attempt.attention_token = attempt.attention_due = None
    note(uow, attempt, EventKind.ATTENTION_MISSED, now)
    return True
