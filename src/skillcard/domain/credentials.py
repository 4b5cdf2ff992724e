"""The signed digital card: its claims, the keys and status lists that vouch for it, and the rule
that turns them into one of the outcomes of docs/contracts.md. Pure Python: the CBOR, COSE and
ECDSA work is in ``adapters``; here the claims are a map of plain values.

Claims travel as a CBOR map with small integer keys (one byte each), so that a printed
credential fits the 426 alphanumeric characters a version-15 QR code holds at error correction
Q (what goes into a printed card's claims is chosen with that budget in mind):

    key  claim             CBOR value
    ---  ----------------  ---------------------------------------------------------------
     1   scheme            text, the scheme's code ("ECS")
     2   number            text, the card number, unique within the scheme
     3   card_type_code    text
     4   card_type_title   text
     5   holder_name       text, as printed on the card
     6   occupation        text, may be empty
     7   qualifications    array of text, a short summary (at most 20)
     8   portrait_sha256   bytes (32), the full photo's SHA-256; absent when there is none
     9   issued            unsigned int, days since 1970-01-01 (RFC 8943's tag-100 value)
    10   expires           unsigned int, days since 1970-01-01; the card is valid through it
    11   status_index      unsigned int, the card's entry in its scheme's status list
    12   signed            unsigned int, seconds since 1970-01-01 UTC when it was signed
    13   valid_until       unsigned int, seconds since the epoch; phone presentation only
    14   portrait          bytes, a JPEG thumbnail of at most 1 KB; phone presentation only

Unknown integer keys are ignored, so later versions can add claims that older checkers skip.
``signed`` is set when a credential is issued: a key's validity window is judged by it, because
a card issued years ago is re-signed by today's key whenever a phone shows it.

Decisions documented here (and tested):
- a key of another scheme, or a key used outside its window (a retired key signing after it
  was retired), is ``unknown_issuer``: the signature is sound, but nobody trusted signed it;
  ``bad_signature`` means the bytes do not match any trusted key with that key id;
- revocation is final, so a revoked entry is reported even from a stale list; a suspension
  may have been lifted, so it counts only from a fresh list;
- no status list for the scheme, or one too short to hold the card's index, is
  ``stale_status``: revocation cannot be ruled out.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from skillcard.domain.calendar import card_day
from skillcard.domain.trust import (
    CLOCK_SKEW,
    ListedState,
    StatusList,
    TrustedKey,
    _utc,
)
from skillcard.errors import InvalidInput

EXPIRING_SOON_DAYS = 90
MAX_PORTRAIT_BYTES = 1024
EXPIRING_SOON = "expiring_soon"

_MAX_TEXT = 200
_HEX = "0123456789abcdef"
_MAX_QUALIFICATIONS = 20
_MAX_INDEX = 2**31
_MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z, the last moment datetime can hold
_EPOCH = dt.date(1970, 1, 1).toordinal()
_MAX_DAYS = dt.date.max.toordinal() - _EPOCH


class MalformedCredential(InvalidInput):
    """A credential that cannot be read.

    MalformedCredential      (InvalidInput)
     ├── EncodingError       prefix, Base45 or zlib framing
     ├── CoseError           the COSE_Sign1 structure or its headers
     └── ClaimsError         the claims map: missing claims, wrong types, out of range
    """

    code = "malformed_credential"


class EncodingError(MalformedCredential):
    code = "credential_encoding"


class CoseError(MalformedCredential):
    code = "credential_cose"


class ClaimsError(MalformedCredential):
    code = "credential_claims"


class Outcome(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    UNKNOWN_ISSUER = "unknown_issuer"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"
    STALE_STATUS = "stale_status"


@dataclass(frozen=True)
class CardClaims:
    scheme: str
    number: str
    card_type_code: str
    card_type_title: str
    holder_name: str
    occupation: str
    qualifications: tuple[str, ...]
    portrait_sha256: str | None
    issued: dt.date
    expires: dt.date
    status_index: int
    portrait: bytes | None = None  # phone presentation: a JPEG thumbnail of at most 1 KB
    valid_until: dt.datetime | None = None  # phone presentation: minutes after signing
    signed: dt.datetime | None = None  # set by the issuer when it signs

    def __post_init__(self) -> None:
        fault = _fault(self)
        if fault:
            raise ClaimsError(fault)

    @property
    def presentation(self) -> str:
        return "phone" if self.valid_until is not None else "printed"


def _fault(c: CardClaims) -> str:
    """What is wrong with the claims, or "". Every verification runs this on hostile input,
    so the common case is a handful of C-level checks over all the texts at once."""
    q, digest, portrait, index = c.qualifications, c.portrait_sha256, c.portrait, c.status_index
    if type(q) is not tuple or len(q) > _MAX_QUALIFICATIONS:
        return f"qualifications must be a tuple of at most {_MAX_QUALIFICATIONS} texts"
    texts = (c.scheme, c.number, c.card_type_code, c.card_type_title, c.holder_name, *q)
    try:
        "".join(texts) + c.occupation  # one TypeError for any value that is not text
        ok = all(texts) and max(map(len, texts)) <= _MAX_TEXT and len(c.occupation) <= _MAX_TEXT
    except TypeError:
        ok = False
    if not ok:
        return _text_fault(c)
    if digest is not None and (type(digest) is not str or len(digest) != 64 or digest.strip(_HEX)):
        return "portrait_sha256 must be 64 lower-case hexadecimal characters"
    if type(index) is not int or not 0 <= index < _MAX_INDEX:
        return "status_index must be an integer from 0 to 2**31 - 1"
    if type(c.issued) is not dt.date or type(c.expires) is not dt.date:
        return "issued and expires must be dates"
    if c.expires < c.issued:
        return "the card expires before it was issued"
    if portrait is not None and (type(portrait) is not bytes or len(portrait) > MAX_PORTRAIT_BYTES):
        return f"a portrait must be bytes, at most {MAX_PORTRAIT_BYTES} of them"
    if not (_is_moment(c.valid_until) and _is_moment(c.signed)):
        return "valid_until and signed must be datetimes with a time zone"
    return ""


def _text_fault(c: CardClaims) -> str:
    names = ("scheme", "number", "card_type_code", "card_type_title", "holder_name")
    for name in names:
        value = getattr(c, name)
        if type(value) is not str or not 0 < len(value) <= _MAX_TEXT:
            return f"{name} must be text of 1 to {_MAX_TEXT} characters"
    if type(c.occupation) is not str or len(c.occupation) > _MAX_TEXT:
        return f"occupation must be text of at most {_MAX_TEXT} characters"
    return f"each qualification must be text of 1 to {_MAX_TEXT} characters"


def _is_moment(value: object) -> bool:
    return value is None or (isinstance(value, dt.datetime) and value.tzinfo is not None)


def claims_to_map(claims: CardClaims) -> dict[int, object]:
    """The CBOR-ready map of the table above (``signed`` must have been set)."""
    if claims.signed is None:
        raise ClaimsError("a credential must say when it was signed")
    out: dict[int, object] = {
        1: claims.scheme,
        2: claims.number,
        3: claims.card_type_code,
        4: claims.card_type_title,
        5: claims.holder_name,
        6: claims.occupation,
        7: list(claims.qualifications),
    }
    if claims.portrait_sha256 is not None:
        out[8] = bytes.fromhex(claims.portrait_sha256)
    out[9] = claims.issued.toordinal() - _EPOCH
    out[10] = claims.expires.toordinal() - _EPOCH
    out[11] = claims.status_index
    out[12] = _seconds(claims.signed)
    if claims.valid_until is not None:
        out[13] = _seconds(claims.valid_until)
    if claims.portrait is not None:
        out[14] = claims.portrait
    return out


def claims_from_map(raw: object) -> CardClaims:
    """Claims from a decoded CBOR map; anything missing, mistyped or out of range raises
    :class:`ClaimsError` (the map is hostile input until proven otherwise)."""
    if type(raw) is not dict:
        raise ClaimsError("the claims are not a CBOR map")
    try:
        qualifications, digest, valid_until = raw[7], raw.get(8), raw.get(13)
        if type(qualifications) is not list:
            raise ClaimsError("qualifications must be an array of text")
        if digest is not None:
            if type(digest) is not bytes or len(digest) != 32:
                raise ClaimsError("portrait_sha256 must be 32 bytes")
            digest = digest.hex()
        values = (
            raw[1],
            raw[2],
            raw[3],
            raw[4],
            raw[5],
            raw[6],
            tuple(qualifications),
            digest,
            _day(raw[9], "issued"),
            _day(raw[10], "expires"),
            raw[11],
            raw.get(14),
            None if valid_until is None else _moment(valid_until, "valid_until"),
            _moment(raw[12], "signed"),
        )
    except KeyError as missing:
        raise ClaimsError(f"claim {missing} is missing") from None
    return CardClaims(*values)


def _day(value: object, name: str) -> dt.date:
    if type(value) is not int or not 0 <= value <= _MAX_DAYS:
        raise ClaimsError(f"{name} must be a day number from 0 to {_MAX_DAYS}")
    return dt.date.fromordinal(_EPOCH + value)


def _moment(value: object, name: str) -> dt.datetime:
    if type(value) is not int or not 0 <= value <= _MAX_SECONDS:
        raise ClaimsError(f"{name} must be seconds since 1970 up to the year 9999")
    return dt.datetime.fromtimestamp(value, dt.UTC)


def _seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class VerificationResult:
    outcome: Outcome
    claims: CardClaims | None = None  # only when a trusted key vouches for them
    warnings: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # plain English, for the person checking the card
    key_id: str | None = None

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID


def decide(
    claims: CardClaims,
    key: TrustedKey | None,
    status_list: StatusList | None,
    now: dt.datetime,
) -> VerificationResult:
    """The outcome for claims whose signature ``key`` verified (None: no trusted key did)."""
    if key is None:
        reason = "The signature does not match the card's details."
        return VerificationResult(Outcome.BAD_SIGNATURE, reasons=(reason,))
    refusal = issuer_refusal(claims, key)
    if refusal:
        return VerificationResult(Outcome.UNKNOWN_ISSUER, reasons=(refusal,), key_id=key.kid)
    now = _utc(now)
    outcome, reason = _card_outcome(claims, status_list, now)
    if outcome is not Outcome.VALID:
        return VerificationResult(outcome, claims, (), (reason,), key.kid)
    if (claims.expires - card_day(now)).days > EXPIRING_SOON_DAYS:
        return VerificationResult(outcome, claims, (), (), key.kid)
    reasons = (f"The card expires on {_day_text(claims.expires)}.",)
    return VerificationResult(outcome, claims, (EXPIRING_SOON,), reasons, key.kid)


def issuer_refusal(claims: CardClaims, key: TrustedKey) -> str:
    """Why ``key`` may not vouch for these claims (another scheme, outside its window), or ""."""
    if key.scheme != claims.scheme:
        return f"The card says {claims.scheme} but was signed with a key of {key.scheme}."
    if claims.signed is None or not key.signed_in_window(claims.signed):
        return f"The card was signed with key {key.kid} outside the time that key may sign."
    return ""


def phone_code_accepted_until(valid_until: dt.datetime) -> dt.datetime:
    """The last moment a checker whose clock is within the tolerated skew still accepts a
    phone code signed to be ``valid_until``: what the holder is told, and what is checked."""
    return valid_until + CLOCK_SKEW


def _card_outcome(
    claims: CardClaims, status_list: StatusList | None, now: dt.datetime
) -> tuple[Outcome, str]:
    listed, stale = _listed(claims, status_list, now)
    if listed is ListedState.REVOKED:  # final, whatever the list's age
        return Outcome.REVOKED, "The scheme has revoked this card."
    if listed is ListedState.SUSPENDED and not stale:
        return Outcome.SUSPENDED, "The scheme has suspended this card."
    early, late = now + CLOCK_SKEW, now - CLOCK_SKEW
    if claims.issued > card_day(early) or (claims.signed is not None and claims.signed > early):
        return Outcome.NOT_YET_VALID, f"The card is valid from {_day_text(claims.issued)}."
    if claims.expires < card_day(late):
        return Outcome.EXPIRED, f"The card expired on {_day_text(claims.expires)}."
    if claims.valid_until is not None and phone_code_accepted_until(claims.valid_until) < now:
        return Outcome.EXPIRED, "This phone code has timed out: ask for a fresh one."
    if stale:
        return Outcome.STALE_STATUS, stale
    return Outcome.VALID, ""


def _listed(
    claims: CardClaims, status_list: StatusList | None, now: dt.datetime
) -> tuple[ListedState | None, str]:
    """The card's entry in the list, and why revocation cannot be ruled out (or "")."""
    if status_list is None or status_list.scheme != claims.scheme:
        return None, "There is no status list for this scheme: revocation cannot be ruled out."
    if claims.status_index >= status_list.entries:
        return None, "The status list does not cover this card: revocation cannot be ruled out."
    listed = status_list.state_of(claims.status_index)
    if now > status_list.fresh_until:
        issued = f"{status_list.issued:%d %b %Y %H:%M}"
        return listed, f"The status list is out of date (issued {issued}): download a fresh one."
    return listed, ""


def _day_text(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
