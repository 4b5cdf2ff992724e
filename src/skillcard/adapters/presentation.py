"""The bytes of a holder-bound presentation (domain/holder_binding.py): its envelope, what the
phone signs, the phone's signature, and the phone's public key as the browser sends it (JWK).

The envelope is read by hand, strictly, like the COSE headers (adapters/cose.py): an array of
exactly three items, [bstr, uint, bstr(64)], definite lengths, nothing after it. The phone's
signature is checked in either of ECDSA's two forms: WebCrypto does not normalise s, and a
twin of the phone's signature gains nobody anything (it names no credential; a fresh one is
made every 30 seconds), unlike the scheme's, whose low-S form is required.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters import cose
from skillcard.domain.credentials import CoseError
from skillcard.domain.holder_binding import SIGNED_CONTEXT
from skillcard.errors import InvalidInput

_MAX_SECONDS = 253_402_300_799
_CONTEXT = cose.dumps(SIGNED_CONTEXT)


class Presentation(NamedTuple):
    credential: bytes  # the device credential, a COSE_Sign1 message
    time: int  # seconds since 1970 UTC, when the phone made it
    signature: bytes  # the phone's ES256 signature, r || s


def encode(credential: bytes, time: int, signature: bytes) -> bytes:
    return cose.dumps([credential, time, signature])


def decode(data: bytes) -> Presentation:
    """The three parts of a presentation's envelope; anything out of shape raises CoseError."""
    if data[:1] != b"\x83":
        raise CoseError("not a phone presentation (an array of three)")
    credential, pos = cose._bstr(data, 1, "device credential")
    time, pos = _uint(data, pos)
    signature, pos = cose._bstr(data, pos, "phone's signature")
    if pos != len(data):
        raise CoseError("bytes follow the end of the presentation")
    if len(signature) != 64:
        raise CoseError("the phone's signature is not 64 bytes")
    return Presentation(credential, time, signature)


def signed_bytes(time: int, credential: bytes) -> bytes:
    """What the phone signs: CBOR ["SkillcardPresentation", time, SHA-256(credential)],
    written by hand (on every check; cbor2 would take ten times as long)."""
    digest = hashlib.sha256(credential).digest()
    return b"".join((b"\x83", _CONTEXT, _uint_head(time), b"\x58\x20", digest))


def phone_signed(presentation: Presentation, device_key: bytes) -> bool:
    """True if the phone whose SEC1 public key is ``device_key`` made the signature."""
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), device_key)
        public.verify(
            cose.der_signature(presentation.signature),
            signed_bytes(presentation.time, presentation.credential),
            cose._ECDSA_SHA256,
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def sign(credential: bytes, time: int, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """A presentation's envelope signed by ``private_key`` (what the phone's script does; for
    tests and the benchmark)."""
    der = private_key.sign(signed_bytes(time, credential), cose._ECDSA_SHA256)
    return encode(credential, time, cose.raw_low_s(der))


def public_key_from_jwk(jwk: Any) -> bytes:
    """The SEC1 point of a P-256 public key sent as a JWK (InvalidInput for anything else: a
    private part, another curve, a point off the curve)."""
    if not isinstance(jwk, dict):
        raise InvalidInput("the phone's key must be a JWK object")
    if "d" in jwk:
        raise InvalidInput("the phone sent its private key: only the public key is wanted")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidInput("the phone's key must be an EC key on the P-256 curve")
    try:
        x, y = _b64url(jwk.get("x")), _b64url(jwk.get("y"))
    except (TypeError, ValueError):
        raise InvalidInput("the phone's key has coordinates that are not base64url") from None
    if len(x) != 32 or len(y) != 32:
        raise InvalidInput("the phone's key coordinates must be 32 bytes each")
    point = b"\x04" + x + y
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidInput("the phone's key is not a point on the P-256 curve") from None
    return point


def key_thumbprint(point: bytes) -> str:
    """A short name for a phone's key (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(point).hexdigest()[:16]


def _b64url(text: object) -> bytes:
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError(text)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uint_head(value: int) -> bytes:
    if value < 24:
        return bytes((value,))
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes((info,)) + value.to_bytes(size, "big")
    raise ValueError("a time too large for CBOR")


def _uint(data: bytes, pos: int) -> tuple[int, int]:
    head = data[pos] if pos < len(data) else 0xFF
    if head < 24:
        return head, pos + 1
    if not 24 <= head <= 27:
        raise CoseError("the presentation's time is not an unsigned integer")
    end = pos + 1 + (1 << (head - 24))
    if end > len(data):
        raise CoseError("the presentation ends early")
    value = int.from_bytes(data[pos + 1 : end], "big")
    if value > _MAX_SECONDS:
        raise CoseError("the presentation's time is out of range")
    return value, end
