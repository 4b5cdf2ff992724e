"""A scheme's card record: one card with its holder, as the scheme's own system sends it.

One rule for every door (``PUT .../cards/{number}``, a file import, ``skillcard import``):
:func:`parse_record` checks a record's fields, and :func:`judge` compares it with the card on
record and says what applying it does (created, updated, unchanged or refused, with why).

Every record carries the scheme's own version of the card: a whole number (a revision or
sequence the scheme counts) or an ``updated_at`` time with its zone. The newer version wins:
an older one never overwrites a newer one, and the same version sent again changes nothing,
so sending a file twice is harmless. Versions are stored normalised (:func:`normalise_version`)
so that the database compares them as text: ``n`` and 19 digits, or ``t`` and the UTC time to
the microsecond. A scheme keeps to one kind; a record of the other kind is refused.

A card revoked or replaced stays so: a record bringing it back is refused (the scheme issues a
new number instead), as :data:`skillcard.domain.cards.TRANSITIONS` has it for the hub's cards.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from skillcard.domain.cards import CardStatus
from skillcard.domain.names import clean_name, surname_key
from skillcard.domain.schemes import Scheme
from skillcard.errors import InvalidInput

# The fields of a record: the CSV header and the NDJSON keys (docs/connector.md).
FIELDS = (
    "scheme", "number", "version", "holder_ref", "given_names", "surname", "date_of_birth",
    "card_type", "issued_on", "expires_on", "status", "status_reason",
)  # fmt: skip
REQUIRED = frozenset(FIELDS) - {"date_of_birth", "status_reason"}
MAX_TEXT = {"holder_ref": 64, "given_names": 100, "surname": 100, "status_reason": 500}
MAX_INTEGER_VERSION = 10**19 - 1
SNAPSHOT_REASON = "missing from the scheme's snapshot"
FINAL = (CardStatus.REVOKED, CardStatus.REPLACED)


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class OtherScheme(InvalidInput):
    """A record of another scheme than the one it was sent for: the file is refused whole
    (a mix-up of files, not one bad row)."""


@dataclass(frozen=True, slots=True)
class CardRecord:
    scheme: str
    number: str
    version: str  # normalised
    holder_ref: str
    given_names: str
    surname: str
    date_of_birth: dt.date | None
    card_type: str
    issued_on: dt.date
    expires_on: dt.date
    status: CardStatus
    status_reason: str

    @property
    def surname_key(self) -> str:
        return surname_key(self.surname)


@dataclass(frozen=True, slots=True)
class StoredCard:
    """The card on record as a record is judged against it (with its holder's fields)."""

    id: int
    cardholder_id: int
    version: str | None  # None: issued by the hub, or before the scheme's connector
    holder_ref: str | None
    given_names: str
    surname: str
    date_of_birth: dt.date | None
    card_type: str
    issued_on: dt.date
    expires_on: dt.date
    status: CardStatus
    status_reason: str


@dataclass(frozen=True, slots=True)
class Judgement:
    outcome: Outcome
    reason: str = ""
    status_changed: bool = False
    holder_changed: bool = False
    renewed: bool = False
    version_only: bool = False  # unchanged, but a newer version to keep

    def feed_kinds(self) -> list[str]:
        """The change feed's kinds for this change (common_feed.md's contract)."""
        if self.outcome == Outcome.CREATED:
            return ["issued"]
        if self.outcome != Outcome.UPDATED:
            return []
        kinds = [k for k, on in (("status", self.status_changed), ("renewed", self.renewed)) if on]
        return kinds + (["holder"] if self.holder_changed else [])


def normalise_version(value: object) -> str:
    """A scheme's version as stored: ``n`` + 19 digits, or ``t`` + a UTC time."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput("version: give a whole number or an updated_at time with its zone")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        if not 0 <= number <= MAX_INTEGER_VERSION:
            raise InvalidInput(f"version: a whole number from 0 to {MAX_INTEGER_VERSION}")
        return f"n{number:019d}"
    text = str(value).strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"version: {text[:40]!r} is neither a whole number nor an ISO 8601 time"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput("version: an updated_at time needs its zone (Z or +01:00)")
    return "t" + moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def shown_version(stored: str | None) -> str:
    """A stored version as the scheme wrote it (an integer without its zeros, or the time)."""
    if not stored:
        return ""
    return str(int(stored[1:])) if stored[0] == "n" else stored[1:]


def _text(values: Mapping[str, object], name: str) -> str:
    raw = values.get(name)
    text = "" if raw is None else str(raw).strip()
    if not text and name in REQUIRED:
        raise InvalidInput(f"{name} is missing")
    if len(text) > MAX_TEXT.get(name, 100):
        raise InvalidInput(f"{name} is longer than {MAX_TEXT.get(name, 100)} characters")
    return text


def _date(values: Mapping[str, object], name: str) -> dt.date | None:
    text = _text(values, name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text[:20]!r} is not a date (YYYY-MM-DD)") from None


def parse_record(
    values: Mapping[str, object], *, scheme: Scheme, card_types: Collection[str]
) -> CardRecord:
    """``values`` (a CSV row or a JSON object) checked as a record of ``scheme``, whose card
    type codes are ``card_types``; InvalidInput saying why not (OtherScheme for a record of
    another scheme)."""
    code = _text(values, "scheme").upper()
    if code != scheme.code.upper():
        raise OtherScheme(f"scheme: this is a record of {code[:20]}, not of {scheme.code}")
    number = scheme.number_format.parse(_text(values, "number"))
    version = normalise_version(values.get("version"))
    card_type = _text(values, "card_type").upper()
    if card_type not in card_types:
        raise InvalidInput(f"card_type: {scheme.code} has no card type {card_type[:60]!r}")
    issued, expires = _date(values, "issued_on"), _date(values, "expires_on")
    assert issued is not None and expires is not None  # required: _text refused them missing
    if expires <= issued:
        raise InvalidInput("expires_on must come after issued_on")
    born = _date(values, "date_of_birth")
    if born is not None and born >= issued:
        raise InvalidInput("date_of_birth must come before issued_on")
    try:
        status = CardStatus(_text(values, "status").lower())
    except ValueError:
        raise InvalidInput("status: one of " + ", ".join(s.value for s in CardStatus)) from None
    reason = _text(values, "status_reason")
    if status in (CardStatus.SUSPENDED, CardStatus.REVOKED) and not reason:
        raise InvalidInput(f"status_reason is required for a {status.value} card")
    holder = clean_name(_text(values, "surname"))
    if not surname_key(holder):
        raise InvalidInput("surname: it has no letters")
    return CardRecord(
        scheme=scheme.code, number=number, version=version,
        holder_ref=_text(values, "holder_ref"),
        given_names=clean_name(_text(values, "given_names")),
        surname=holder, date_of_birth=born, card_type=card_type, issued_on=issued,
        expires_on=expires, status=status, status_reason=reason,
    )  # fmt: skip


def judge(record: CardRecord, stored: StoredCard | None) -> Judgement:
    """What applying ``record`` over the card on record does (nothing is changed here)."""
    if stored is None:
        return Judgement(Outcome.CREATED)
    if stored.version is not None:
        if stored.version[0] != record.version[0]:
            return _refused(
                "version: this scheme's cards are versioned by " + _KIND[stored.version[0]]
            )
        if record.version < stored.version:
            return _refused(
                f"version {shown_version(record.version)} is older than the version on "
                f"record ({shown_version(stored.version)}): not applied"
            )
    if stored.holder_ref is not None and stored.holder_ref != record.holder_ref:
        return _refused(
            f"the card belongs to holder {stored.holder_ref} on record, not {record.holder_ref}"
        )
    holder_changed = (stored.given_names, stored.surname, stored.date_of_birth) != (
        record.given_names,
        record.surname,
        record.date_of_birth,
    )
    card_changed = _card_fields(stored) != _card_fields(record)
    if not (holder_changed or card_changed):
        return Judgement(Outcome.UNCHANGED, version_only=record.version != stored.version)
    if record.version == stored.version:
        return _refused(
            f"version {shown_version(record.version)} is on record with other details: "
            "send the change with a newer version"
        )
    if stored.status in FINAL and record.status != stored.status:
        return _refused(
            f"the card is {stored.status.value}: it stays so (issue a new card number instead)"
        )
    return Judgement(
        Outcome.UPDATED,
        status_changed=record.status != stored.status,
        holder_changed=holder_changed,
        renewed=(record.issued_on, record.expires_on) != (stored.issued_on, stored.expires_on),
    )


def _card_fields(card: CardRecord | StoredCard) -> tuple[object, ...]:
    return (card.card_type, card.issued_on, card.expires_on, card.status, card.status_reason)


_KIND = {"n": "whole numbers, not times", "t": "updated_at times, not whole numbers"}


def _refused(reason: str) -> Judgement:
    return Judgement(Outcome.REFUSED, reason)
