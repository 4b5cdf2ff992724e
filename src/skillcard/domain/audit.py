"""The audit log: who did what, when and why, in a chain that shows any alteration.

Each event's hash covers its own content and the hash before it, so changing, deleting or
re-ordering any row breaks every link after it, and :func:`first_broken_link` names the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from skillcard.domain.stored import UNSAVED

GENESIS = "0" * 64


@dataclass(eq=False)
class AuditEvent:
    occurred_at: dt.datetime
    actor: str
    action: str  # e.g. "card.revoke", "user.add"
    entity_type: str
    entity_id: str
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    prev_hash: str = GENESIS
    hash: str = ""
    id: int = UNSAVED

    def content(self) -> bytes:
        body = {
            "seq": self.seq,
            "occurred_at": _utc_iso(self.occurred_at),
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "reason": self.reason,
            "detail": self.detail,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + self.content()).hexdigest()

    def seal(self, *, seq: int, prev_hash: str) -> None:
        self.seq, self.prev_hash = seq, prev_hash
        self.hash = self.compute_hash()


def _utc_iso(moment: dt.datetime) -> str:
    # A moment without a zone is UTC (the house rule); the hash must not depend on the host.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


def first_broken_link(events: Iterable[AuditEvent]) -> BrokenLink | None:
    """The first event (in sequence order) whose link does not hold, or None if the chain holds."""
    expected_prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != expected_prev:
            return BrokenLink(event.seq, "its link to the event before does not match")
        if event.compute_hash() != event.hash:
            return BrokenLink(event.seq, "its content was altered after it was written")
        expected_prev, expected_seq = event.hash, event.seq + 1
    return None
