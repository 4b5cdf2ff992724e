"""The words a person reads for each code word the system stores: one place, so a page, a PDF
and an e-mail never show `no_match`, `active` or `INSTALLATION_ELECTRICIAN` where the other
doors say "No card matches", "Active" or "Installation Electrician".

Dates and times are written here too, one way: "6 June 2029", and a moment in the UK's own
time with its zone named ("6 June 2029 at 14:05 BST"), since stored times are UTC and a person
on a site reads the clock on the wall.

Pages use it as the Jinja filter ``label`` (``{{ check.outcome | label("outcome") }}``); PDFs
and services call ``label(kind, value)``. A value not listed (a new code word, or a scheme's own
card type code) is made readable rather than shown raw: ``EV_CHARGE_POINT`` reads
"Ev charge point", which is plainer than the code though a title from the registry is better
wherever one is at hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from skillcard.domain.applications import STATE_WORDS
from skillcard.domain.assessment_attempts import AttemptState
from skillcard.domain.business import STATE_LABELS
from skillcard.domain.cards import CardState, CardStatus

OUTCOMES = {
    "valid": "Valid",
    "expired": "Expired",
    "not_yet_valid": "Not valid yet",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "unknown_issuer": "Unknown issuer",
    "bad_signature": "Not genuine (bad signature)",
    "malformed": "Not a card code",
    "stale_status": "Revocation list out of date",
    "no_match": "No card matches",
}
# The headline of a check's answer, read at arm's length on a site (check.js has the same
# words for the answers it gives offline).
VERDICTS = {
    "valid": "Valid card",
    "expired": "Not valid: expired",
    "not_yet_valid": "Not valid yet",
    "suspended": "Not valid: suspended",
    "revoked": "Not valid: revoked",
    "unknown_issuer": "Not valid: unknown issuer",
    "bad_signature": "Not valid: forged or altered",
    "malformed": "Not valid: unreadable",
    "stale_status": "Cannot confirm: status out of date",
    "no_match": "No match",
}
CARD_STATUSES = {
    CardStatus.ACTIVE: "Active",
    CardStatus.SUSPENDED: "Suspended",
    CardStatus.REVOKED: "Revoked",
    CardStatus.REPLACED: "Replaced",
}
CARD_STATES = {
    CardState.VALID: "Valid",
    CardState.EXPIRED: "Expired",
    CardState.NOT_YET_VALID: "Not valid yet",
    CardState.SUSPENDED: "Suspended",
    CardState.REVOKED: "Revoked",
    CardState.REPLACED: "Replaced by a new card",
}
CHECK_METHODS = {
    "number": "Number and surname",
    "qr_online": "QR code",
    "qr_offline": "QR code, offline",
    "qr": "QR code",
    "single": "Single check",
    "spot": "Spot check",
    "bulk": "Bulk check",
    "offline": "Offline check, synced later",
}
# Who did something, when it was not a person signed in.
ACTORS = {"cli": "the command line", "system": "skillcard", "demo": "the demo loader"}
# Audit actions on a card, as its history reads them.
CARD_ACTIONS = {
    "issue": "Issued",
    "renew": "Renewed",
    "replace": "Replaced",
    "suspend": "Suspended",
    "reinstate": "Reinstated",
    "revoke": "Revoked",
    "import": "Imported",
    "upsert": "Updated by import",
    "phone_set_up": "Set up on the holder's phone",  # device.phone_set_up (holder-bound card)
    "phone_revoked": "A phone's copy revoked",
}

# Where a card came from (domain/provenance.py).
SOURCE_KINDS = {
    "assessment": "HSE assessment",
    "test_centre": "Test centre",
    "training_provider": "Training provider",
    "import": "Import from the scheme's system",
}

# Why a checker reported a card, and what became of the report (domain/suspect_reports.py).
SUSPECT_REASONS = {
    "photo_mismatch": "The photo does not match the person",
    "looks_forged": "The card looks forged",
    "details_differ": "The details differ from what I was told",
    "other": "Something else",
}
REPORT_STATES = {
    "open": "Waiting",
    "dismissed": "Dismissed",
    "suspended": "Card suspended",
    "revoked": "Card revoked",
}

BULK_STATUSES = {
    "queued": "waiting to start",
    "running": "checking",
    "done": "finished",
    "failed": "stopped",
    "interrupted": "interrupted (its server stopped)",
    "expired": "result deleted",
}

# An HSE attempt's state, as the invigilator's queue and review read it.
ATTEMPT_STATES = {
    AttemptState.CREATED: "Not started",
    AttemptState.ID_CHECK: "Checking identity",
    AttemptState.READY: "Ready to start",
    AttemptState.STARTED: "Under way",
    AttemptState.SUBMITTED: "Handed in",
    AttemptState.TIMED_OUT: "Ran out of time",
    AttemptState.UNDER_REVIEW: "Second review",
    AttemptState.VERIFIED: "Verified",
    AttemptState.REJECTED: "Rejected",
    AttemptState.VOIDED: "Void",
    AttemptState.ERROR: "Stopped by an error",
}

KINDS: dict[str, dict[Any, str]] = {
    "attempt_state": ATTEMPT_STATES,
    "bulk_status": BULK_STATUSES,
    "outcome": OUTCOMES,
    "verdict": VERDICTS,
    "card_status": CARD_STATUSES,
    "card_state": CARD_STATES,
    "method": CHECK_METHODS,
    "application_state": STATE_WORDS,
    "workforce_state": STATE_LABELS,
    "actor": ACTORS,
    "card_action": CARD_ACTIONS,
    "source_kind": SOURCE_KINDS,
    "suspect_reason": SUSPECT_REASONS,
    "report_state": REPORT_STATES,
    "code": {},  # occupation and card type codes: readable when no title is at hand
}


def label(kind: str, value: object) -> str:
    """The words for ``value`` of ``kind`` (one of ``KINDS``); an unknown value made readable."""
    if value is None or value == "":
        return ""
    words: str | None = KINDS[kind].get(value) or KINDS[kind].get(str(value))
    if words:
        return words
    if kind == "actor":
        return str(value)
    text = str(value).replace("_", " ").strip().lower()
    return text[:1].upper() + text[1:]


# The schemes are British: a person reads times in UK time, with the zone named.
DISPLAY_ZONE = ZoneInfo("Europe/London")


def long_date(day: dt.date | dt.datetime | None) -> str:
    """``6 June 2029``: the one way a date is written to a person (pages, cards, PDFs)."""
    if day is None or day == "":
        return ""
    if isinstance(day, dt.datetime):
        day = _local(day)
    return f"{day:%-d %B %Y}"


def date_time(moment: dt.datetime | None, *, seconds: bool = False) -> str:
    """``6 June 2029 at 14:05 BST``: a stored (UTC) moment in UK time, with its zone."""
    if moment is None or moment == "":
        return ""
    local = _local(moment)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{local:%-d %B %Y} at {clock} {local:%Z}"


def clock_time(moment: dt.datetime | None) -> str:
    """``14:05:03 BST``: the moment of a snapshot or an event within one sitting."""
    if moment is None or moment == "":
        return ""
    local = _local(moment)
    return f"{local:%H:%M:%S} {local:%Z}"


def short_date_time(moment: dt.datetime | None) -> str:
    """``2029-06-06 14:05 BST``: for a table's narrow column, still with its zone."""
    if moment is None or moment == "":
        return ""
    local = _local(moment)
    return f"{local:%Y-%m-%d %H:%M} {local:%Z}"


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:  # a moment without a zone is UTC, the house rule
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(DISPLAY_ZONE)
