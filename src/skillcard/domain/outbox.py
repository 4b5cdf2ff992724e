"""E-mail the platform sends: written down first, sent later.

A message is stored in the transaction of the change it announces (a registration, a result, a
digest), then a sender delivers it. Nothing is e-mailed about a change that rolled back, and a
mail server that is down delays messages without losing them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ATTEMPTS = 10


@dataclass(eq=False)
class OutboxMessage:
    to_address: str
    subject: str
    body: str
    kind: str  # what it is about, e.g. "business.confirm", "hse.result", "alerts.digest"
    created_at: dt.datetime
    dedupe_key: str | None = None
    sent_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str = ""
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.to_address = self.to_address.strip().lower()
        if len(self.to_address) > 254 or not _EMAIL.match(self.to_address):
            raise InvalidInput(f"{self.to_address!r} is not an e-mail address")
        # A header line must stay one line: a newline in a subject is a header injection.
        self.subject = " ".join(self.subject.split())[:200]
        if not self.subject:
            raise InvalidInput("an e-mail needs a subject")

    def mark_sent(self, now: dt.datetime) -> None:
        self.sent_at = now
        self.attempts += 1
        self.last_error = ""

    def mark_failed(self, error: str) -> None:
        self.attempts += 1
        self.last_error = error[:500]
