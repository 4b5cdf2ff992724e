"""A scheme's review of a qualification a holder declared: verified, or rejected with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput

DECLARED, VERIFIED, REJECTED = "declared", "verified", "rejected"


@dataclass(eq=False)
class QualificationReview:
    held_qualification_id: int
    state: str = DECLARED
    reason: str = ""
    reviewed_by: str = ""
    reviewed_at: dt.datetime | None = None
    id: int = UNSAVED

    def decide(self, *, verified: bool, reason: str, by: str, now: dt.datetime) -> None:
        reason = " ".join((reason or "").split())
        if not verified and not reason:
            raise InvalidInput("give the reason the qualification is rejected")
        self.state = VERIFIED if verified else REJECTED
        self.reason, self.reviewed_by, self.reviewed_at = reason[:500], by, now
