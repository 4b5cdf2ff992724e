"""Issuing and verifying digital cards, offline: QR text in, a VerificationResult out.

The pipeline is the EU Digital COVID Certificate's:

    claims -> CBOR -> COSE_Sign1 (ES256) -> zlib, only if smaller -> Base45 -> "SC1:" + text

and :func:`verify` runs it backwards. It also reads a phone's holder-bound presentation,
``"SC2:"`` + Base45 of [device credential, time, the phone's signature]
(domain/holder_binding.py). It never raises: whatever is wrong with the text, the
person checking a card gets an outcome and a reason. A deflated payload starts with the zlib
header byte 0x78, a bare COSE message with 0xD2 (tag 18; the untagged array the issuer never
writes is malformed), so the decoder needs no flag; it inflates at most 16 KiB and refuses
anything that would inflate further.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import zlib
from collections.abc import Callable, Iterable
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters import base45, cose, presentation
from skillcard.domain.credentials import (
    CardClaims,
    EncodingError,
    MalformedCredential,
    Outcome,
    VerificationResult,
    claims_from_map,
    claims_to_map,
    decide,
    issuer_refusal,
)
from skillcard.domain.holder_binding import (
    PRESENTATION_PREFIX,
    PRESENTATION_WINDOW,
    DeviceCredential,
    decide_presentation,
    device_credential_from_map,
    device_credential_map,
)
from skillcard.domain.trust import (
    StatusList,
    TrustedKey,
)
from skillcard.services.clock import utcnow
from skillcard.services.crypto import keys as key_crypto

PREFIX = "SC1:"
MAX_TEXT = len(PREFIX) + 4_296  # the most alphanumeric characters a QR code holds
MAX_INFLATED = 16_384
PHONE_LIFETIME = dt.timedelta(minutes=5)
_ZLIB, _TAGGED, _ARRAY3 = 0x78, 0xD2, 0x83  # zlib; CBOR tag 18 (COSE_Sign1); array of 3

_LoadedKey = tuple[TrustedKey, ec.EllipticCurvePublicKey]
_Claims = TypeVar("_Claims", CardClaims, DeviceCredential)


log = logging.getLogger(__name__)


class VerifierBundle:
    """The trusted keys and status lists a checker works from, with every key parsed once.

    Several keys may share a key id (the same key listed for two windows, or two schemes'
    clashing ids): verification tries each of them.
    """

    def __init__(
        self, keys: Iterable[TrustedKey] = (), status_lists: Iterable[StatusList] = ()
    ) -> None:
        self.keys: tuple[TrustedKey, ...] = tuple(keys)
        self._by_kid: dict[bytes, tuple[_LoadedKey, ...]] = {}
        for key in self.keys:
            loaded = (key, key_crypto.load_public_key(key.public_key))
            self._by_kid[key.kid.encode()] = (*self._by_kid.get(key.kid.encode(), ()), loaded)
        self.status_lists: dict[str, StatusList] = {}
        for status_list in status_lists:
            self.put_status_list(status_list)

    def keys_for(self, kid: bytes) -> tuple[_LoadedKey, ...]:
        return self._by_kid.get(kid, ())

    def put_status_list(self, status_list: StatusList) -> None:
        """Add or replace a scheme's status list (a fresher download)."""
        self.status_lists[status_list.scheme] = status_list

    def with_status_list(self, status_list: StatusList) -> VerifierBundle:
        """A bundle of the same keys (parsed once, shared) with ``status_list`` in place of
        its scheme's; this one is left as it is."""
        other = copy.copy(self)
        other.status_lists = {**self.status_lists, status_list.scheme: status_list}
        return other


def verify(
    text: str,
    bundle: VerifierBundle,
    now: dt.datetime,
    window: dt.timedelta = PRESENTATION_WINDOW,
) -> VerificationResult:
    """The outcome of checking the QR text ``text`` at ``now``: a card's credential (``SC1:``)
    or a phone's holder-bound presentation (``SC2:``, judged with the presentation ``window``).
    Never raises."""
    try:
        if text.lstrip().startswith(PRESENTATION_PREFIX):
            return _verify_presentation(text, bundle, now, window)
        return _verify(text, bundle, now)
    except MalformedCredential as error:
        return VerificationResult(Outcome.MALFORMED, reasons=(f"Not a readable card: {error}.",))
    except Exception as error:  # a checker on site always gets an answer
        # Decoding errors arrive as MalformedCredential; anything else is our own fault and
        # must not hide behind the card's answer.
        log.exception("verifying a QR text raised %s", type(error).__name__)
        reason = f"Not a readable card ({type(error).__name__})."
        return VerificationResult(Outcome.MALFORMED, reasons=(reason,))


def _verify(text: str, bundle: VerifierBundle, now: dt.datetime) -> VerificationResult:
    message = cose.decode(cose_from_text(text))
    found = _vouched(message, bundle, claims_from_map)
    if isinstance(found, VerificationResult):
        return found
    claims, chosen = found
    return decide(claims, chosen, bundle.status_lists.get(claims.scheme), now)


def _verify_presentation(
    text: str, bundle: VerifierBundle, now: dt.datetime, window: dt.timedelta
) -> VerificationResult:
    shown = presentation.decode(_payload(text, PRESENTATION_PREFIX, _ARRAY3))
    found = _vouched(cose.decode(shown.credential), bundle, device_credential_from_map)
    if isinstance(found, VerificationResult):
        return found
    device, chosen = found
    moment = dt.datetime.fromtimestamp(shown.time, dt.UTC)
    signed = presentation.phone_signed(shown, device.device_key)
    status_list = bundle.status_lists.get(device.claims.scheme)
    return decide_presentation(device, chosen, status_list, moment, signed, now, window)


def _vouched(
    message: cose.Sign1, bundle: VerifierBundle, parse: Callable[[object], _Claims]
) -> tuple[_Claims, TrustedKey] | VerificationResult:
    """The claims a trusted key signed, with that key; or the result that says none did."""
    candidates = bundle.keys_for(message.kid)
    if not candidates:
        kid = message.kid[:64].decode("utf-8", "replace")
        reason = f"The card was signed with a key this checker does not know ({kid})."
        return VerificationResult(Outcome.UNKNOWN_ISSUER, reasons=(reason,), key_id=kid)
    claims: _Claims | None = None
    chosen: TrustedKey | None = None
    for trusted, public_key in candidates:
        if not cose.verify_signature(message, public_key):
            continue
        if claims is None:  # read only once a trusted key vouches for the bytes
            claims = parse(cose.loads(message.payload))
        card = claims if isinstance(claims, CardClaims) else claims.claims
        chosen = chosen or trusted  # the first that verifies, unless a later one fits better
        if len(candidates) == 1 or not issuer_refusal(card, trusted):
            chosen = trusted
            break
    if claims is None or chosen is None:
        kid = message.kid[:64].decode("utf-8", "replace")
        reason = "The signature does not match the card's details: it may have been altered."
        return VerificationResult(Outcome.BAD_SIGNATURE, reasons=(reason,), key_id=kid)
    return claims, chosen


def cose_from_text(text: str) -> bytes:
    """The COSE_Sign1 bytes inside QR text; EncodingError if the text is not ours."""
    return _payload(text, PREFIX, _TAGGED)


def _payload(text: str, prefix: str, first_byte: int) -> bytes:
    """The bytes after ``prefix``, inflated when deflated (the first byte tells)."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise EncodingError("the text is longer than any QR code holds")
    if not text.startswith(prefix):
        raise EncodingError(f"a skills card code starts {prefix}")
    data = base45.decode(text[len(prefix) :])
    first = data[0] if data else None
    if first == _ZLIB:
        return inflate(data)  # its parser says what is wrong with what it holds
    if first == first_byte:
        return data
    raise EncodingError("the code holds neither a signed card nor a compressed one")


def inflate(data: bytes) -> bytes:
    """zlib data inflated to at most MAX_INFLATED bytes; more, or damaged, raises."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED)  # stops at the cap, whatever remains
    except zlib.error:
        raise EncodingError("the compressed data is damaged") from None
    if inflater.unconsumed_tail:
        raise EncodingError(f"the code inflates to more than {MAX_INFLATED} bytes")
    if not inflater.eof or inflater.unused_data:
        raise EncodingError("the compressed data is cut short or followed by other bytes")
    return out


def text_from_cose(message: bytes, *, compress: bool = True) -> str:
    """QR text for a COSE message, deflated only when that makes it shorter."""
    if compress:
        packed = zlib.compress(message, 9)
        if len(packed) < len(message):
            message = packed
    return PREFIX + base45.encode(message)


def issue_credential(
    claims: CardClaims,
    signing_key: ec.EllipticCurvePrivateKey,
    kid: str,
    compress: bool = True,
    *,
    now: dt.datetime | None = None,
) -> str:
    """The QR text of a credential for ``claims``, signed now (or at ``claims.signed``).

    Printed cards carry no portrait and no ``valid_until``; see :func:`phone_claims`.
    """
    if claims.signed is None:
        signed = (now or utcnow()).replace(microsecond=0)
        claims = dataclasses.replace(claims, signed=signed)
    payload = cose.dumps(claims_to_map(claims))
    return text_from_cose(cose.sign(payload, signing_key, kid), compress=compress)


def phone_claims(
    claims: CardClaims,
    *,
    portrait: bytes | None,
    now: dt.datetime,
    lifetime: dt.timedelta = PHONE_LIFETIME,
) -> CardClaims:
    """The claims for the phone presentation: a thumbnail and a validity of minutes."""
    now = now.replace(microsecond=0)
    return dataclasses.replace(claims, portrait=portrait, signed=now, valid_until=now + lifetime)


def issue_device_credential(
    device: DeviceCredential, signing_key: ec.EllipticCurvePrivateKey, kid: str
) -> bytes:
    """The COSE_Sign1 bytes of a device credential (the phone keeps them and presents them
    inside every ``SC2:`` code it makes)."""
    return cose.sign(cose.dumps(device_credential_map(device)), signing_key, kid)


def presentation_text(envelope: bytes) -> str:
    """QR text for a presentation's envelope (never deflated: it holds a JPEG and a key)."""
    return PRESENTATION_PREFIX + base45.encode(envelope)


def printed_claims(claims: CardClaims) -> CardClaims:
    """The claims for a printed card: no portrait, no short validity, signed when issued."""
    return dataclasses.replace(claims, portrait=None, valid_until=None, signed=None)
