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


def mail_address(text: str) -> str:
    address = text.strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise InvalidInput(f"{address!r} is not an e-mail address")
    return address


def mail_subject(text: str) -> str:
    # A header line must stay one line: a newline in a subject is a header injection.
    subject = " ".join(text.split())[:200]
    if not subject:
        raise InvalidInput("an e-mail needs a subject")
    return subject


@dataclass(frozen=True)
class Mail:
    """A message to store among many at once (a mass revocation tells 50,000 holders): the
    same checks as :class:`OutboxMessage`, without the cost of a mapped object each."""

    to_address: str
    subject: str
    body: str
    kind: str
    created_at: dt.datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "to_address", mail_address(self.to_address))
        object.__setattr__(self, "subject", mail_subject(self.subject))


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
        self.to_address = mail_address(self.to_address)
        self.subject = mail_subject(self.subject)

    def mark_sent(self, now: dt.datetime) -> None:
        self.sent_at = now
        self.attempts += 1
        self.last_error = ""

    def mark_failed(self, error: str) -> None:
        self.attempts += 1
        self.last_error = error[:500]
