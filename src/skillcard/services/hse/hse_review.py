"""Invigilator review of submitted attempts, and the results candidates see.

- :func:`review_queue`: attempts waiting for a decision, of the invigilator's scheme (overdue
  attempts are submitted first, so a candidate who went away still appears). An invigilator
  sees an attempt only once it is handed in, and only of their scheme, by every door
  (:func:`skillcard.domain.invigilation.may_see_attempt`).
- :func:`review_detail`: the ID photo beside the start photo and the snapshots, the timeline
  of events and flags, and the answers marked.
- :func:`decide`: verify, reject (with a reason), void, or send to a second review; audited.
  A verified pass becomes an HSE record, valid for the assessment's validity, and the
  candidate is e-mailed (through the outbox) in the same transaction.
- :func:`my_results`: the candidate's latest verified result, weakest topics first, and any
  attempt they may resume.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from skillcard.domain.accounts import Principal, Role, require, tied
from skillcard.domain.assessment import AssessmentSettings, FormEntry, TopicScore, score
from skillcard.domain.assessment_attempts import AWAITING_REVIEW, Attempt, AttemptState
from skillcard.domain.calendar import card_day
from skillcard.domain.invigilation import (
    Decision,
    InvigilationEvent,
    check_reviewer,
    may_see_attempt,
)
from skillcard.domain.people import HseRecord
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.hse.hse_attempts import assessment_settings, finalise_if_overdue
from skillcard.services.hse.hse_bank import ASSESSMENT_CODE
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


def _may_invigilate(who: Principal, attempt: Attempt) -> bool:
    return may_see_attempt(who, scheme_id=attempt.scheme_id, handed_in=attempt.handed_in)


def _reviewable(
    uow: AbstractUnitOfWork, who: Principal, attempt_id: int, *, for_update: bool = False
) -> Attempt:
    require(who.is_hub_admin or who.role == Role.INVIGILATOR, "review HSE attempts")
    attempt = uow.hse_attempts.get(attempt_id, for_update=for_update)
    if attempt is None or not _may_invigilate(who, attempt):
        raise NotFound(f"no attempt {attempt_id} for you to review")
    return attempt


@dataclass(frozen=True)
class QueueEntry:
    id: int
    candidate: str
    state: str
    submitted_at: dt.datetime | None
    score: int | None
    out_of: int | None
    violations: int
    conflict: bool


def review_queue(
    *, uow: AbstractUnitOfWork, who: Principal, now: dt.datetime | None = None
) -> list[QueueEntry]:
    require(who.is_hub_admin or who.role == Role.INVIGILATOR, "review HSE attempts")
    now = now or utcnow()
    scheme = None if who.is_hub_admin else who.scheme_id
    with uow:
        for attempt in uow.hse_attempts.overdue(now, scheme):
            finalise_if_overdue(uow, attempt, now)
        uow.commit()
        entries = []
        for attempt in uow.hse_attempts.awaiting_review(scheme):
            if not _may_invigilate(who, attempt):  # the one rule, whatever the query found
                continue
            holder = on_record(uow.cardholders.get(attempt.cardholder_id), "the cardholder")
            entries.append(
                QueueEntry(
                    id=attempt.id,
                    candidate=holder.full_name,
                    state=attempt.state,
                    submitted_at=attempt.submitted_at,
                    score=attempt.score,
                    out_of=attempt.out_of,
                    violations=attempt.violations,
                    conflict=uow.hse_conflicts.exists(who.user_id, attempt.cardholder_id)
                    or who.cardholder_id == attempt.cardholder_id,
                )
            )
        return entries


@dataclass(frozen=True)
class MarkedAnswer:
    number: int
    topic: str
    stem: str
    chosen: str | None
    correct: str
    right: bool


@dataclass
class ReviewDetail:
    id: int
    candidate: str
    cardholder_id: int
    state: str
    score: int | None
    out_of: int | None
    pass_mark: int
    passed: bool | None
    failed_by_violation: bool
    violations: int
    extra_minutes: int
    started_at: dt.datetime | None
    submitted_at: dt.datetime | None
    deadline: dt.datetime | None
    id_photo_sha256: str | None
    face_photo_sha256: str | None
    holder_photo_sha256: str | None
    first_reviewer: str | None
    events: list[InvigilationEvent] = field(default_factory=list)
    answers: list[MarkedAnswer] = field(default_factory=list)

    @property
    def snapshots(self) -> list[InvigilationEvent]:
        return [e for e in self.events if e.kind == "snapshot"]

    @property
    def timeline(self) -> list[InvigilationEvent]:
        return [e for e in self.events if e.kind != "snapshot"]


def review_detail(*, uow: AbstractUnitOfWork, who: Principal, attempt_id: int) -> ReviewDetail:
    with uow:
        attempt = _reviewable(uow, who, attempt_id)
        holder = on_record(uow.cardholders.get(attempt.cardholder_id), "the cardholder")
        settings = on_record(
            uow.hse_assessments.get(attempt.assessment_id), "the assessment"
        ).settings
        items = uow.hse_items.many(attempt.form_item_ids())
        answers = uow.hse_attempts.answers(attempt.id)
        marked = []
        for number, (item_id, order) in enumerate(attempt.form, start=1):
            item = items[item_id]
            place = answers.get(item_id)
            chosen = item.options[order[place]] if place is not None else None
            marked.append(
                MarkedAnswer(
                    number=number,
                    topic=settings.title_of(item.topic),
                    stem=item.stem,
                    chosen=chosen,
                    correct=item.options[item.key],
                    right=place is not None and order[place] == item.key,
                )
            )
        return ReviewDetail(
            id=attempt.id,
            candidate=holder.full_name,
            cardholder_id=holder.id,
            state=attempt.state,
            score=attempt.score,
            out_of=attempt.out_of,
            pass_mark=settings.pass_mark,
            passed=attempt.passed,
            failed_by_violation=attempt.failed_by_violation,
            violations=attempt.violations,
            extra_minutes=attempt.extra_minutes,
            started_at=attempt.started_at,
            submitted_at=attempt.submitted_at,
            deadline=attempt.deadline,
            id_photo_sha256=attempt.id_photo_sha256,
            face_photo_sha256=attempt.face_photo_sha256,
            holder_photo_sha256=holder.photo_sha256,
            first_reviewer=attempt.first_reviewer,
            events=uow.hse_events.of_attempt(attempt.id),
            answers=marked,
        )


def decide(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    attempt_id: int,
    decision: str,
    public_url: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Verify, reject, void or send to second review; the attempt's new state. A verified
    result is e-mailed to the candidate with a link to ``public_url``'s MyCard."""
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InvalidInput(
            "choose a decision: verify, reject, void, or ask for a second review"
        ) from None
    reason = " ".join(reason.split())[:500]
    if chosen in (Decision.REJECT, Decision.VOID, Decision.SECOND_REVIEW) and not reason:
        raise InvalidInput(f"say why you {chosen.value.replace('_', ' ')} this attempt")
    now = now or utcnow()
    with uow:
        attempt = _reviewable(uow, who, attempt_id, for_update=True)  # one decision at a time
        check_reviewer(
            reviewer_label=who.label,
            reviewer_cardholder_id=who.cardholder_id,
            candidate_cardholder_id=attempt.cardholder_id,
            declared_conflict=uow.hse_conflicts.exists(who.user_id, attempt.cardholder_id),
            first_reviewer=attempt.first_reviewer,
        )
        attempt.move(chosen.value)
        if chosen == Decision.SECOND_REVIEW:
            attempt.first_reviewer = who.label
        else:
            attempt.decided_by, attempt.decided_at = who.label, now
        attempt.decision_reason = reason
        if chosen == Decision.VERIFY:
            _verified(uow, attempt, who, now, public_url)
        record(
            uow,
            who,
            f"hse.attempt.{chosen.value}",
            "hse_attempt",
            attempt.id,
            now=now,
            reason=reason,
            detail={"score": attempt.score, "passed": attempt.passed},
        )
        uow.commit()
        return attempt.state


def _verified(
    uow: AbstractUnitOfWork, attempt: Attempt, who: Principal, now: dt.datetime, public_url: str
) -> None:
    settings = assessment_settings(uow, attempt)
    holder = on_record(uow.cardholders.get(attempt.cardholder_id), "the cardholder")
    passed_on = card_day(attempt.submitted_at or now)
    if attempt.passed:
        uow.hse_records.add(
            HseRecord(
                cardholder_id=holder.id,
                passed_on=passed_on,
                valid_until=settings.valid_until(passed_on),
                source="assessment",
                recorded_by=who.label,
                recorded_at=now,
                score=attempt.score,
                out_of=attempt.out_of,
                attempt_id=attempt.id,
            )
        )
    if holder.email:
        verdict = "you passed" if attempt.passed else "you did not pass this time"
        queue_email(
            uow,
            to=holder.email,
            subject="Your HSE assessment result",
            body=(
                f"Dear {holder.given_names},\n\nYour Health, Safety and Environment assessment "
                f"has been checked: {verdict}, with {attempt.score} of {attempt.out_of} "
                f"(the pass mark is {settings.pass_mark}).\n\nSee your result and the topics "
                f"to work on: {public_url}/my\n"
            ),
            kind="hse.result",
            dedupe_key=f"hse.result.{attempt.id}",
            now=now,
        )


@dataclass(frozen=True)
class MyResult:
    attempt_id: int
    passed: bool
    score: int
    out_of: int
    pass_mark: int
    decided_at: dt.datetime | None
    valid_until: dt.date | None
    weakest: list[TopicScore]


@dataclass(frozen=True)
class MyHse:
    result: MyResult | None
    open_attempt_id: int | None
    open_state: str | None
    waiting: bool  # submitted, waiting for an invigilator
    settings: AssessmentSettings | None = None  # what the candidate is told before starting


def my_results(*, uow: AbstractUnitOfWork, who: Principal) -> MyHse:
    require(who.role == Role.CARDHOLDER and who.cardholder_id is not None, "see HSE results")
    with uow:
        attempts = uow.hse_attempts.of_cardholder(tied(who.cardholder_id, "a cardholder"))
        verified = next((a for a in attempts if a.state == AttemptState.VERIFIED), None)
        open_one = next((a for a in attempts if a.is_open), None)
        waiting = any(AttemptState(a.state) in AWAITING_REVIEW for a in attempts)
        result = None
        if verified is not None:
            settings = on_record(
                uow.hse_assessments.get(verified.assessment_id), "the assessment"
            ).settings
            form = [FormEntry(int(i), tuple(order)) for i, order in verified.form]
            items = uow.hse_items.many([e.item_id for e in form])
            marked = score(form, items, uow.hse_attempts.answers(verified.id), settings)
            records = [
                r for r in uow.hse_records.of_cardholder(tied(who.cardholder_id, "a cardholder"))
            ]
            record_of = next((r for r in records if r.attempt_id == verified.id), None)
            result = MyResult(
                attempt_id=verified.id,
                passed=bool(verified.passed),
                score=verified.score or 0,
                out_of=verified.out_of or 0,
                pass_mark=settings.pass_mark,
                decided_at=verified.decided_at,
                valid_until=record_of.valid_until if record_of else None,
                weakest=marked.weakest(3),
            )
        assessment = uow.hse_assessments.by_code(ASSESSMENT_CODE)
        return MyHse(
            result=result,
            open_attempt_id=open_one.id if open_one else None,
            open_state=open_one.state if open_one else None,
            waiting=waiting,
            settings=assessment.settings if assessment else None,
        )


def attempt_file(*, uow: AbstractUnitOfWork, who: Principal, attempt_id: int, sha256: str) -> str:
    """Check that ``who`` may see this photo of this attempt; the sha256 to serve."""
    with uow:
        attempt = uow.hse_attempts.get(attempt_id)
        allowed = attempt is not None and (
            _may_invigilate(who, attempt)
            or (who.role == Role.CARDHOLDER and who.cardholder_id == attempt.cardholder_id)
        )
        if attempt is not None and allowed:
            own = {attempt.face_photo_sha256, attempt.id_photo_sha256} - {None}
            if sha256 in own or uow.hse_events.has_snapshot(attempt.id, sha256):
                return sha256
        raise NotFound("no such photo")
