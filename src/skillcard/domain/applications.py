"""Applications for a card (new or renewal), and the yearly CPD audit of a scheme's holders.

An application moves: draft -> received (submitted) -> verifying -> verified -> card_issued,
or to referred (the holder must add something, then submits again) or rejected (final).
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from dataclasses import dataclass

from skillcard.domain.stored import UNSAVED
from skillcard.errors import IllegalTransition, InvalidInput


class AppState(enum.StrEnum):
    DRAFT = "draft"
    RECEIVED = "received"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    REFERRED = "referred"
    REJECTED = "rejected"
    CARD_ISSUED = "card_issued"


STATE_WORDS = {
    AppState.DRAFT: "Not sent yet",
    AppState.RECEIVED: "Received",
    AppState.VERIFYING: "Being checked",
    AppState.VERIFIED: "Approved",
    AppState.REFERRED: "More needed from you",
    AppState.REJECTED: "Rejected",
    AppState.CARD_ISSUED: "Card issued",
}
_MOVES = {
    AppState.DRAFT: {AppState.RECEIVED},
    AppState.RECEIVED: {AppState.VERIFYING, AppState.REFERRED, AppState.REJECTED},
    AppState.VERIFYING: {AppState.VERIFIED, AppState.REFERRED, AppState.REJECTED},
    AppState.REFERRED: {AppState.RECEIVED, AppState.REJECTED},
    AppState.VERIFIED: {AppState.CARD_ISSUED},
    AppState.REJECTED: set(),
    AppState.CARD_ISSUED: set(),
}
OPEN_STATES = {AppState.DRAFT, AppState.RECEIVED, AppState.VERIFYING, AppState.REFERRED}
QUEUE_STATES = {AppState.RECEIVED, AppState.VERIFYING}


@dataclass(eq=False)
class Application:
    cardholder_id: int
    scheme_id: int
    card_type_id: int
    occupation_code: str
    created_at: dt.datetime
    kind: str = "new"  # "new" or "renewal"
    state: AppState = AppState.DRAFT
    updated_at: dt.datetime | None = None
    message: str = ""  # the last word from the scheme (why referred or rejected)
    decided_by: str = ""
    card_id: int | None = None
    renews_card_id: int | None = None
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.state = AppState(self.state)
        if self.kind not in ("new", "renewal"):
            raise InvalidInput("an application is for a new card or a renewal")

    @property
    def words(self) -> str:
        return STATE_WORDS[AppState(self.state)]

    @property
    def is_open(self) -> bool:
        return AppState(self.state) in OPEN_STATES

    def move(self, to: AppState, now: dt.datetime, *, by: str = "", message: str = "") -> None:
        here = AppState(self.state)
        if to not in _MOVES[here]:
            raise IllegalTransition(
                f"an application that is {STATE_WORDS[here].lower()} cannot become "
                f"{STATE_WORDS[to].lower()}"
            )
        if to in (AppState.REFERRED, AppState.REJECTED) and not message.strip():
            raise InvalidInput("say why, so the applicant knows what to do")
        self.state, self.updated_at = to, now
        if message:
            self.message = message.strip()[:1000]
        if by:
            self.decided_by = by


# -- the yearly CPD audit ----------------------------------------------------------------------
class CaseState(enum.StrEnum):
    SAMPLED = "sampled"
    MORE_REQUESTED = "more_requested"
    ANSWERED = "answered"
    ACCEPTED = "accepted"


CASE_WORDS = {
    CaseState.SAMPLED: "Waiting for an assessor",
    CaseState.MORE_REQUESTED: "More asked of the holder",
    CaseState.ANSWERED: "Holder answered",
    CaseState.ACCEPTED: "Accepted",
}


@dataclass(eq=False)
class CpdAudit:
    scheme_id: int
    year: int
    share_percent: float
    seed: int
    sampled_at: dt.datetime
    sampled_by: str
    id: int = UNSAVED


@dataclass(eq=False)
class CpdAuditCase:
    audit_id: int
    cardholder_id: int
    state: CaseState = CaseState.SAMPLED
    request: str = ""
    answer: str = ""
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.state = CaseState(self.state)

    @property
    def words(self) -> str:
        return CASE_WORDS[CaseState(self.state)]


def draw_sample(holder_ids: list[int], share_percent: float, seed: int) -> list[int]:
    """The holders sampled: the same ids, share and seed always give the same sample."""
    if not 0 < share_percent <= 100:
        raise InvalidInput("the share sampled is a percentage, more than 0 and at most 100")
    population = sorted(set(holder_ids))
    if not population:
        return []
    size = max(1, round(len(population) * share_percent / 100))
    return sorted(random.Random(seed).sample(population, size))
