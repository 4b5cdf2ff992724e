"""Business Check: a business, its workforce (the cards it relies on) and its own check history.

A business sees of a card only what the public check shows (see domain/checks.py); what it
adds is its own words about the worker (label, trade, site, subcontractor) and the record of
every check it made, which it keeps for its own audits.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass

from skillcard.domain.accounts import BUSINESS_SCOPED, Principal, Role
from skillcard.domain.cards import Card, CardState
from skillcard.domain.names import clean_name
from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput

MAX_NAME = 200
MAX_ADDRESS = 500
MAX_TEXT = 200  # label, trade, site, subcontractor
MAX_NOTE = 1000
# Companies House numbers: 8 digits (England and Wales), or two letters for the register
# (SC Scotland, NI Northern Ireland, OC/SO/NC LLPs, ...) and 6 digits.
_COMPANY_PREFIXES = frozenset(
    {
        *("SC", "NI", "OC", "SO", "NC", "LP", "SL", "NL", "FC", "SF", "NF", "IP", "SP", "IC"),
        *("SI", "NP", "NV", "RC", "SR", "NR", "R0", "CE", "CS", "GE", "GS", "GN", "SE", "ES"),
        *("AC", "SA", "NA", "ZC", "SZ", "NZ"),
    }
)
_COMPANY = re.compile(r"^(\d{8}|[A-Z][A-Z0-9]\d{6})$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed decimal number, which a spreadsheet reads as a number and never runs.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


class BusinessCheckMethod(enum.StrEnum):
    SINGLE = "single"  # one card, by number and surname
    SPOT = "spot"  # on site without notice: site, optional GPS, face confirmed
    BULK = "bulk"  # a row of a bulk CSV
    OFFLINE = "offline"  # made on a phone without signal, synced later with its own time


class WorkforceState(enum.StrEnum):
    """A workforce card on a day, in the dashboard's words."""

    VALID = "valid"
    EXPIRING_90 = "expiring_90"
    EXPIRING_60 = "expiring_60"
    EXPIRING_30 = "expiring_30"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    NOT_YET_VALID = "not_yet_valid"


STATE_LABELS = {
    WorkforceState.VALID: "Valid",
    WorkforceState.EXPIRING_90: "Expiring within 90 days",
    WorkforceState.EXPIRING_60: "Expiring within 60 days",
    WorkforceState.EXPIRING_30: "Expiring within 30 days",
    WorkforceState.EXPIRED: "Expired",
    WorkforceState.SUSPENDED: "Suspended",
    WorkforceState.REVOKED: "Revoked",
    WorkforceState.NOT_YET_VALID: "Not valid yet",
}
# What an expiry digest tells a business admin about (expired cards were told at 30 days).
ALERT_STATES = {
    WorkforceState.EXPIRING_90,
    WorkforceState.EXPIRING_60,
    WorkforceState.EXPIRING_30,
    WorkforceState.SUSPENDED,
    WorkforceState.REVOKED,
}


def workforce_state(card: Card, today: dt.date) -> WorkforceState:
    state = card.state_on(today)
    if state == CardState.VALID:
        left = (card.expires_on - today).days
        for days, bucket in (
            (30, WorkforceState.EXPIRING_30),
            (60, WorkforceState.EXPIRING_60),
            (90, WorkforceState.EXPIRING_90),
        ):
            if left <= days:
                return bucket
        return WorkforceState.VALID
    if state == CardState.REPLACED:  # the old card of a replaced one is no card
        return WorkforceState.REVOKED
    return WorkforceState(state.value)


def company_number(text: str) -> str:
    """A UK Companies House number, normalised (spaces out, capitals, leading zeros put back
    on an all-digit number), or InvalidInput saying what one looks like."""
    number = "".join((text or "").split()).upper()
    if number.isdigit() and 0 < len(number) < 8:
        number = number.zfill(8)
    if not _COMPANY.match(number) or (not number.isdigit() and number[:2] not in _COMPANY_PREFIXES):
        raise InvalidInput(
            "a company registration number is 8 characters, as Companies House gives it: "
            "8 digits (01234567) or two letters and 6 digits (SC123456, NI123456, OC123456)"
        )
    return number


def clean_text(value: str | None, what: str, limit: int = MAX_TEXT) -> str:
    """One line of free text a business types: whitespace tidied, invisible characters
    removed (as from names: see ``names.clean_name``), length capped."""
    value = clean_name(value)
    if len(value) > limit:
        raise InvalidInput(f"{what} is limited to {limit} characters")
    return value


@dataclass(eq=False)
class Business:
    name: str
    company_number: str
    address: str
    created_at: dt.datetime
    confirmed: bool = False
    approved: bool = False  # by the hub admin: lifts the small allowance of a new business
    webhook_url: str | None = None
    webhook_secret: str | None = None
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.name = clean_text(self.name, "a business name", MAX_NAME)
        if not self.name:
            raise InvalidInput("enter the business's name")
        self.company_number = company_number(self.company_number)
        lines = (" ".join(line.split()) for line in (self.address or "").splitlines())
        self.address = "\n".join(line for line in lines if line)
        if not self.address:
            raise InvalidInput("enter the business's address")
        if len(self.address) > MAX_ADDRESS:
            raise InvalidInput(f"an address is limited to {MAX_ADDRESS} characters")


@dataclass(eq=False)
class WorkforceEntry:
    """One card in a business's workforce, with the business's own words about the worker.
    ``alerted_state`` is the state the last expiry digest told the admins about."""

    business_id: int
    card_id: int
    added_at: dt.datetime
    added_by: str
    label: str = ""
    trade: str = ""
    site: str = ""
    subcontractor: str = ""
    alerted_state: str = ""
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.label = clean_text(self.label, "a label")
        self.trade = clean_text(self.trade, "a trade")
        self.site = clean_text(self.site, "a site")
        self.subcontractor = clean_text(self.subcontractor, "a subcontractor's name")


@dataclass(eq=False)
class BusinessCheck:
    """One check in a business's own history: who, how, when, the outcome, and where."""

    business_id: int
    checked_at: dt.datetime
    method: BusinessCheckMethod
    outcome: str
    checker: str
    scheme: str = ""
    card_number: str = ""
    holder_name: str = ""
    card_id: int | None = None
    checker_user_id: int | None = None
    site: str = ""
    latitude: float | None = None
    longitude: float | None = None
    note: str = ""
    face_confirmed: bool | None = None
    synced_at: dt.datetime | None = None
    bulk_job_id: str | None = None
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.site = clean_text(self.site, "a site")
        self.note = clean_text(self.note, "a note", MAX_NOTE)
        if (self.latitude is None) != (self.longitude is None):
            raise InvalidInput("give both latitude and longitude, or neither")
        if (
            self.latitude is not None
            and self.longitude is not None
            and not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180)
        ):
            raise InvalidInput("latitude is -90 to 90 and longitude -180 to 180")


class BulkStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    # Its server stopped while it ran, before bulk checks were jobs on a queue (a job now goes
    # on elsewhere): kept for the jobs marked so then.
    INTERRUPTED = "interrupted"
    EXPIRED = "expired"  # finished, and its result file deleted after the days it is kept


@dataclass(eq=False)
class BulkJob:
    """A bulk CSV check: its progress while it runs, and its counts once done."""

    id: str
    business_id: int
    created_by: str
    created_at: dt.datetime
    filename: str
    status: BulkStatus = BulkStatus.QUEUED
    total_rows: int = 0
    done_rows: int = 0
    valid_rows: int = 0
    error_rows: int = 0
    message: str = ""
    finished_at: dt.datetime | None = None
    runner: str = ""  # the process that took the upload (host:pid); a worker of the queue runs it

    @property
    def percent(self) -> int:
        if self.status == BulkStatus.DONE:
            return 100
        return int(100 * self.done_rows / self.total_rows) if self.total_rows else 0


def can_act_for_business(who: Principal, business_id: int) -> bool:
    """Someone of this business (admin or checker), or the hub on its behalf."""
    return who.is_hub_admin or (who.role in BUSINESS_SCOPED and who.business_id == business_id)


def can_manage_business(who: Principal, business_id: int) -> bool:
    return who.is_hub_admin or (who.role == Role.BUSINESS_ADMIN and who.business_id == business_id)


def neutralise(value: object) -> str:
    """A value safe to put in a CSV cell: one that a spreadsheet would run as a formula
    (=, +, -, @, a tab or a carriage return first) gets a leading apostrophe, which shows as
    text. A plain number is a number, not a formula: a longitude of -1.5481 stays as it is."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def webhook_signature(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the exact body, hex: the X-Skillcard-Signature a receiver recomputes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
