"""Remote invigilation: what the page reports, what counts as a violation, who may review.

The candidate's page reports events (the tab hidden, the window blurred, full screen left,
copy or paste, developer tools opened, the connection lost and back); the server adds its own
(a snapshot with no face or several faces, an attention target missed). Which of them are
violations is decided here; what a violation does (fail or flag) is the assessment's policy.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput, PermissionDenied


class EventKind(enum.StrEnum):
    TAB_HIDDEN = "tab_hidden"
    TAB_SHOWN = "tab_shown"
    BLUR = "blur"
    FULLSCREEN_EXIT = "fullscreen_exit"
    COPY = "copy"
    PASTE = "paste"
    DEVTOOLS = "devtools"
    OFFLINE = "offline"
    ONLINE = "online"
    # recorded by the server only
    SNAPSHOT = "snapshot"
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    ATTENTION_SHOWN = "attention_shown"
    ATTENTION_OK = "attention_ok"
    ATTENTION_MISSED = "attention_missed"
    STARTED = "started"
    SUBMITTED = "submitted"
    TIMED_OUT = "timed_out"


FROM_PAGE = frozenset(
    {
        EventKind.TAB_HIDDEN,
        EventKind.TAB_SHOWN,
        EventKind.BLUR,
        EventKind.FULLSCREEN_EXIT,
        EventKind.COPY,
        EventKind.PASTE,
        EventKind.DEVTOOLS,
        EventKind.OFFLINE,
        EventKind.ONLINE,
    }
)
VIOLATIONS = frozenset(
    {
        EventKind.TAB_HIDDEN,
        EventKind.BLUR,
        EventKind.FULLSCREEN_EXIT,
        EventKind.COPY,
        EventKind.PASTE,
        EventKind.DEVTOOLS,
        EventKind.NO_FACE,
        EventKind.SEVERAL_FACES,
        EventKind.ATTENTION_MISSED,
    }
)
PLAIN_WORDS = {
    EventKind.TAB_HIDDEN: "left the test's tab",
    EventKind.TAB_SHOWN: "came back to the test's tab",
    EventKind.BLUR: "moved to another window",
    EventKind.FULLSCREEN_EXIT: "left full screen",
    EventKind.COPY: "copied text",
    EventKind.PASTE: "pasted text",
    EventKind.DEVTOOLS: "seemed to open the browser's developer tools",
    EventKind.OFFLINE: "lost the connection",
    EventKind.ONLINE: "was back online",
    EventKind.SNAPSHOT: "webcam snapshot",
    EventKind.NO_FACE: "no face in the webcam snapshot",
    EventKind.SEVERAL_FACES: "more than one face in the webcam snapshot",
    EventKind.ATTENTION_SHOWN: "an attention check was shown",
    EventKind.ATTENTION_OK: "clicked the attention check in time",
    EventKind.ATTENTION_MISSED: "missed the attention check",
    EventKind.STARTED: "started the assessment",
    EventKind.SUBMITTED: "submitted the answers",
    EventKind.TIMED_OUT: "ran out of time; the saved answers were submitted",
}


def page_event(kind: str) -> EventKind:
    """A kind of event a candidate's page may report; anything else is refused."""
    try:
        found = EventKind(kind)
    except ValueError:
        found = None
    if found not in FROM_PAGE:
        raise InvalidInput(f"{kind[:40]!r} is not an event the assessment page reports")
    return found


def face_event(faces: int) -> EventKind | None:
    """What a snapshot's face count means: None when exactly one face was seen."""
    if faces == 0:
        return EventKind.NO_FACE
    if faces > 1:
        return EventKind.SEVERAL_FACES
    return None


@dataclass(eq=False)
class InvigilationEvent:
    attempt_id: int
    occurred_at: dt.datetime
    kind: str
    violation: bool = False
    detail: str = ""
    snapshot_sha256: str | None = None
    faces: int | None = None
    id: int = UNSAVED

    @property
    def words(self) -> str:
        try:
            return PLAIN_WORDS[EventKind(self.kind)]
        except ValueError:
            return self.kind


@dataclass(eq=False)
class Adjustment:
    """Reasonable adjustments for one candidate, with who granted them and when."""

    cardholder_id: int
    granted_by: str
    granted_at: dt.datetime
    extra_minutes: int = 0
    reader: bool = False
    large_text: bool = False
    language: str = "en"
    id: int = UNSAVED


@dataclass(eq=False)
class DeclaredConflict:
    """An invigilator's declared interest in a candidate (a relative, a colleague)."""

    invigilator_user_id: int
    cardholder_id: int
    declared_at: dt.datetime
    relationship: str = ""
    id: int = UNSAVED


class Decision(enum.StrEnum):
    VERIFY = "verify"
    REJECT = "reject"
    VOID = "void"
    SECOND_REVIEW = "second_review"


def check_reviewer(
    *,
    reviewer_label: str,
    reviewer_cardholder_id: int | None,
    candidate_cardholder_id: int,
    declared_conflict: bool,
    first_reviewer: str | None,
) -> None:
    """Nobody reviews their own attempt or a declared relative's; a second review is made by
    someone other than the first reviewer."""
    if reviewer_cardholder_id is not None and reviewer_cardholder_id == candidate_cardholder_id:
        raise PermissionDenied("you cannot review your own attempt")
    if declared_conflict:
        raise PermissionDenied(
            "you declared a conflict of interest with this candidate: another invigilator "
            "must review the attempt"
        )
    if first_reviewer and first_reviewer == reviewer_label:
        raise PermissionDenied("a second review must be made by another invigilator")


def may_see_attempt(who: Principal, *, scheme_id: int, handed_in: bool) -> bool:
    """An invigilator sees an attempt of their own scheme, once it is handed in: there is no
    live invigilation, so an attempt in progress (its answers as they are typed) is the
    candidate's alone. Hub admins see every attempt (to void one stuck in an error)."""
    if who.is_hub_admin:
        return True
    return who.role == Role.INVIGILATOR and who.scheme_id == scheme_id and handed_in
