"""One sitting of the HSE assessment: its states, its clock and its answers.

The legal moves are ONE table, :data:`TRANSITIONS`; every change of state goes through
:meth:`Attempt.move`, so nothing can skip a step. The server owns the clock: the deadline is
fixed when the attempt starts (duration plus any extra time granted), and whatever the
candidate's device says about the time is never used.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from skillcard.domain.stored import UNSAVED
from skillcard.errors import Conflict, IllegalTransition, InvalidInput


class AttemptState(enum.StrEnum):
    CREATED = "created"
    ID_CHECK = "id_check"
    READY = "ready"
    STARTED = "started"
    SUBMITTED = "submitted"
    TIMED_OUT = "timed_out"
    UNDER_REVIEW = "under_review"
    VERIFIED = "verified"
    REJECTED = "rejected"
    VOIDED = "voided"
    ERROR = "error"


S = AttemptState
# from state -> {event: to state}. Anything not here is refused.
TRANSITIONS: dict[AttemptState, dict[str, AttemptState]] = {
    S.CREATED: {"begin_id_check": S.ID_CHECK, "void": S.VOIDED, "fail": S.ERROR},
    S.ID_CHECK: {"id_checked": S.READY, "void": S.VOIDED, "fail": S.ERROR},
    S.READY: {"start": S.STARTED, "void": S.VOIDED, "fail": S.ERROR},
    S.STARTED: {
        "submit": S.SUBMITTED,
        "time_out": S.TIMED_OUT,
        "void": S.VOIDED,
        "fail": S.ERROR,
    },
    S.SUBMITTED: {
        "second_review": S.UNDER_REVIEW,
        "verify": S.VERIFIED,
        "reject": S.REJECTED,
        "void": S.VOIDED,
    },
    S.TIMED_OUT: {
        "second_review": S.UNDER_REVIEW,
        "verify": S.VERIFIED,
        "reject": S.REJECTED,
        "void": S.VOIDED,
    },
    S.UNDER_REVIEW: {"verify": S.VERIFIED, "reject": S.REJECTED, "void": S.VOIDED},
    S.VERIFIED: {},
    S.REJECTED: {},
    S.VOIDED: {},
    S.ERROR: {"void": S.VOIDED},
}
OPEN_STATES = frozenset({S.CREATED, S.ID_CHECK, S.READY, S.STARTED})
AWAITING_REVIEW = frozenset({S.SUBMITTED, S.TIMED_OUT, S.UNDER_REVIEW})
FINAL_STATES = frozenset(s for s, moves in TRANSITIONS.items() if not moves)
# The deadline is the server's; a little grace covers a click in flight as the clock runs out.
GRACE = dt.timedelta(seconds=2)


@dataclass(eq=False)
class Attempt:
    assessment_id: int
    cardholder_id: int
    scheme_id: int
    seed: int
    created_at: dt.datetime
    state: str = AttemptState.CREATED.value
    form: list[list[Any]] = field(default_factory=list)  # [[item_id, [order...]], ...]
    language: str = "en"
    extra_minutes: int = 0
    reader: bool = False
    large_text: bool = False
    id_photo_sha256: str | None = None
    face_photo_sha256: str | None = None
    started_at: dt.datetime | None = None
    deadline: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    answer_seq: int = 0
    score: int | None = None
    out_of: int | None = None
    passed: bool | None = None
    violations: int = 0
    failed_by_violation: bool = False
    attention_token: str | None = None
    attention_due: dt.datetime | None = None
    first_reviewer: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str = ""
    id: int = UNSAVED

    # -- the state machine -------------------------------------------------------------
    def move(self, event: str) -> AttemptState:
        here = AttemptState(self.state)
        there = TRANSITIONS[here].get(event)
        if there is None:
            state, doing = here.value.replace("_", " "), event.replace("_", " ")
            raise IllegalTransition(f"an attempt that is {state} cannot {doing}")
        self.state = there.value
        return there

    @property
    def is_open(self) -> bool:
        return AttemptState(self.state) in OPEN_STATES

    @property
    def handed_in(self) -> bool:
        """Submitted by the candidate or at the deadline: from then on it may be reviewed."""
        return self.submitted_at is not None

    # -- the clock -----------------------------------------------------------------------
    def start(self, now: dt.datetime, duration_minutes: int) -> None:
        self.move("start")
        self.started_at = now
        self.deadline = now + dt.timedelta(minutes=duration_minutes + self.extra_minutes)

    def is_overdue(self, now: dt.datetime) -> bool:
        return (
            self.state == AttemptState.STARTED
            and self.deadline is not None
            and now > self.deadline + GRACE
        )

    def attention_missed(self, now: dt.datetime) -> bool:
        """An attention check was shown and its time to click has passed."""
        return self.attention_due is not None and now > self.attention_due

    def seconds_left(self, now: dt.datetime) -> int:
        if self.deadline is None:
            return 0
        return max(0, int((self.deadline - now).total_seconds()))

    def finalise_if_overdue(self, now: dt.datetime) -> bool:
        """At the deadline the attempt is submitted with the answers saved (timed out)."""
        if not self.is_overdue(now):
            return False
        self.move("time_out")
        assert self.deadline is not None  # is_overdue said so
        self.submitted_at = self.deadline
        return True

    def submit(self, now: dt.datetime) -> None:
        self.move("submit")
        self.submitted_at = now

    # -- answers -------------------------------------------------------------------------
    def form_item_ids(self) -> list[int]:
        return [int(entry[0]) for entry in self.form]

    def check_answer(self, *, item_id: int, choice: int | None, seq: int, now: dt.datetime) -> None:
        """Refuse an answer that must not be saved: the attempt is not running, the deadline
        has passed, the question is not on this form, the choice is not an option, or the
        request was seen before (``seq`` must grow)."""
        if self.state != AttemptState.STARTED:
            raise Conflict("this attempt is not in progress: answers can no longer be changed")
        if self.is_overdue(now):
            raise Conflict("the time for this attempt is up: the answer was not saved")
        places = {int(e[0]): len(e[1]) for e in self.form}
        if item_id not in places:
            raise InvalidInput("that question is not on your paper")
        if choice is not None and not 0 <= choice < places[item_id]:
            raise InvalidInput("that is not one of the answers to choose from")
        if seq <= self.answer_seq:
            raise Conflict("this answer was sent before (a replay): it was not saved again")
        self.answer_seq = seq
