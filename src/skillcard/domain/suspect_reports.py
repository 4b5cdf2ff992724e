"""A checker's report of a card that looks wrong, and how the issuing scheme works it.

Anyone checking a card may report it (the photo does not match the face, the card looks
forged, the details differ from what they were told). The reporter gets a receipt and the
words "report received", never what the scheme decided: the card is someone else's.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass

from skillcard.domain.stored import UNSAVED
from skillcard.errors import IllegalTransition, InvalidInput

MAX_DETAILS = 1000
MAX_NOTE = 500
_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over a phone


class SuspectReason(enum.StrEnum):
    PHOTO_MISMATCH = "photo_mismatch"
    LOOKS_FORGED = "looks_forged"
    DETAILS_DIFFER = "details_differ"
    OTHER = "other"


class ReportState(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    SUSPENDED = "suspended"  # the card was suspended on this report
    REVOKED = "revoked"  # the card was revoked on this report


# What an admin may do with an open report, and the state it leaves the report in.
DECISIONS = {
    "dismiss": ReportState.DISMISSED,
    "suspend": ReportState.SUSPENDED,
    "revoke": ReportState.REVOKED,
}


def suspect_reason(text: str) -> SuspectReason:
    try:
        return SuspectReason((text or "").strip().lower())
    except ValueError:
        reasons = ", ".join(r.value for r in SuspectReason)
        raise InvalidInput(f"the reason is one of: {reasons}", field="reason") from None


def report_details(text: str) -> str:
    details = (text or "").strip()
    if len(details) > MAX_DETAILS:
        raise InvalidInput(f"say it in at most {MAX_DETAILS} characters", field="details")
    return details


def new_receipt() -> str:
    """A reference the reporter can quote: SR- and ten characters (50 bits), never a count."""
    return "SR-" + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(10))


@dataclass(eq=False)
class SuspectReport:
    receipt: str
    scheme_id: int
    card_number: str
    card_id: int | None
    reason: str
    details: str
    reported_at: dt.datetime
    photo_sha256: str | None = None
    reporter_user_id: int | None = None
    state: str = ReportState.OPEN.value
    decided_at: dt.datetime | None = None
    decided_by: str = ""
    decision_note: str = ""
    id: int = UNSAVED

    def decide(self, action: str, *, by: str, note: str, now: dt.datetime) -> ReportState:
        """Close the report with ``action`` (dismiss, suspend, revoke); once only."""
        if action not in DECISIONS:
            raise InvalidInput(
                f"a report is dealt with by one of: {', '.join(DECISIONS)}", field="action"
            )
        if self.state != ReportState.OPEN:
            raise IllegalTransition(f"report {self.receipt} was already {self.state}")
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput(f"a note is at most {MAX_NOTE} characters", field="note")
        if action != "dismiss" and self.card_id is None:
            raise IllegalTransition(
                "there is no such card on record: the report can only be dismissed"
            )
        state = DECISIONS[action]
        self.state = state.value
        self.decided_at, self.decided_by, self.decision_note = now, by, note
        return state
