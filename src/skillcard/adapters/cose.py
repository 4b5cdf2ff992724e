"""COSE_Sign1 (RFC 9052) with ES256, by hand: cbor2 for the maps, cryptography for ECDSA.

    18([ protected: bstr .cbor {1: -7, 4: kid}, unprotected: {}, payload: bstr, r || s ])

The signature covers the Sig_structure ``["Signature1", protected, h'', payload]``; ES256
signatures are the raw 64 bytes r || s (RFC 9053), not the DER that cryptography speaks.

Only the form the issuer writes is read: the message tagged 18 (an untagged array is refused
as malformed, so no second encoding of one card circulates), a non-empty unprotected map
allowed (its ``kid`` is used when the protected header has none, as some encoders do).
Signatures are low-S only: ECDSA's (r, s) and (r, n - s) both verify, so the issuer writes the
one with s <= n/2 and a checker refuses the other, so a valid signature has exactly one form.
Everything else out of shape is refused with :class:`CoseError`. The message and its headers
are parsed by hand, strictly, before the signature is checked; the general decoder (cbor2) sees
only the claims, and only once a trusted key has signed them.
"""

from __future__ import annotations

import io
from typing import Any, NamedTuple

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from skillcard.domain.credentials import CoseError

ES256 = -7
ALG, KID = 1, 4  # header labels
COSE_SIGN1_TAG = 18
MAX_MESSAGE_BYTES = 16_384
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_SIG1_CONTEXT = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"
_ES256_PROTECTED = b"\xa2\x01\x26\x04"  # {1: -7, 4: ...} as we write it
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = (P256_ORDER // 2).to_bytes(32, "big")  # the largest low s, as r || s holds it


class Sign1(NamedTuple):
    kid: bytes
    payload: bytes
    protected: bytes
    signature: bytes  # r || s, 64 bytes


def sign(
    payload: bytes, private_key: ec.EllipticCurvePrivateKey, kid: str, *, tag: bool = True
) -> bytes:
    """A COSE_Sign1 message over ``payload``, signed with ES256 in low-S form (tagged 18
    unless ``tag`` is False, which only tests use: it is refused when read); the key id goes
    in the protected header as its UTF-8 bytes."""
    protected = cbor2.dumps({ALG: ES256, KID: kid.encode()})
    der = private_key.sign(sig_structure(protected, payload), _ECDSA_SHA256)
    message = [protected, {}, payload, raw_low_s(der)]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, message) if tag else message)


def decode(data: bytes) -> Sign1:
    """The parts of a COSE_Sign1 message; anything out of shape raises CoseError."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise CoseError("the signed message is too long")
    if data[:1] != b"\xd2":
        raise CoseError("not a tagged COSE_Sign1 message (CBOR tag 18)")
    if data[1:2] != b"\x84":
        raise CoseError("not a COSE_Sign1 message (an array of four)")
    protected, pos = _bstr(data, 2, "protected header")
    if data[pos : pos + 1] == b"\xa0":
        unprotected: dict[Any, Any] = {}
        pos += 1
    else:
        unprotected, pos = _map_at(data, pos, "unprotected header")
    payload, pos = _bstr(data, pos, "payload")
    signature, pos = _bstr(data, pos, "signature")
    if pos != len(data):
        raise CoseError("bytes follow the end of the signed message")
    if len(signature) != 64:
        raise CoseError("an ES256 signature is 64 bytes")
    kid = _protected_kid(protected)
    if kid is None:
        kid = unprotected.get(KID)
    if type(kid) is not bytes or not kid:
        raise CoseError("the message names no key id")
    return Sign1(kid, payload, protected, signature)


def verify_signature(message: Sign1, public_key: ec.EllipticCurvePublicKey) -> bool:
    """True if ``public_key`` made the message's signature, in its low-S form (the high-S
    twin of a good signature is refused: see the module's notes)."""
    if not is_low_s(message.signature):
        return False
    try:
        public_key.verify(
            der_signature(message.signature),
            sig_structure(message.protected, message.payload),
            _ECDSA_SHA256,
        )
    except InvalidSignature:
        return False
    return True


def loads(data: bytes) -> object:
    """One CBOR item that fills ``data`` exactly (cbor2 alone would ignore trailing bytes).

    For the claims, read once their signature has been verified: cbor2 decodes semantic tags
    (dates, regular expressions, MIME messages), which only a trusted signer gets to send.
    """
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception as e:  # hostile bytes through a C decoder: any failure means "not CBOR"
        raise CoseError(f"not valid CBOR ({type(e).__name__})") from None
    if stream.tell() != len(data):
        raise CoseError("bytes follow the end of a CBOR item")
    return item


def dumps(item: object) -> bytes:
    return cbor2.dumps(item)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes an ES256 signature covers: ["Signature1", protected, h'', payload]."""
    return b"".join((_SIG1_CONTEXT, _bstr_head(len(protected)), protected, b"\x40",
                     _bstr_head(len(payload)), payload))  # fmt: skip


def raw_low_s(der: bytes) -> bytes:
    """A DER ECDSA signature as the raw r || s of ES256, in low-S form."""
    r, s = decode_dss_signature(der)
    if s > P256_ORDER // 2:  # cryptography (OpenSSL) does not normalise: half come out high
        s = P256_ORDER - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def is_low_s(signature: bytes) -> bool:
    """True if the raw r || s has s <= n/2 (big-endian bytes of one length compare as ints)."""
    return signature[32:] <= _HALF_ORDER


def der_signature(signature: bytes) -> bytes:
    """r || s as the DER SEQUENCE of two INTEGERs that cryptography verifies."""
    r = signature[:32].lstrip(b"\0") or b"\0"
    s = signature[32:].lstrip(b"\0") or b"\0"
    if r[0] & 0x80:  # a DER INTEGER is signed: a leading 1 bit needs a zero byte before it
        r = b"\0" + r
    if s[0] & 0x80:
        s = b"\0" + s
    return b"".join((bytes((0x30, len(r) + len(s) + 4, 2, len(r))), r, bytes((2, len(s))), s))


def _bstr_head(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def _bstr(data: bytes, pos: int, what: str) -> tuple[bytes, int]:
    """A definite-length byte string at ``pos``, and the position after it."""
    head = data[pos] if pos < len(data) else 0
    if 0x40 <= head < 0x58:
        start, end = pos + 1, pos + 1 + head - 0x40
    elif 0x58 <= head <= 0x5A:
        start = pos + 1 + (1 << (head - 0x58))  # after 1, 2 or 4 length bytes
        end = start + int.from_bytes(data[pos + 1 : start], "big")
    else:
        raise CoseError(f"the {what} is not a byte string")
    if end > len(data):
        raise CoseError(f"the {what} runs past the end of the message")
    return data[start:end], end


def _map_at(data: bytes, pos: int, what: str) -> tuple[dict, int]:
    item, pos = _header_item(data, pos, what, depth=0)
    if type(item) is not dict:
        raise CoseError(f"the {what} is not a map")
    return item, pos


def _header_item(data: bytes, pos: int, what: str, depth: int) -> tuple[object, int]:
    """A strict little CBOR reader for the headers, which are read before the signature is
    checked: integers, byte and text strings, arrays and maps of definite length, nothing
    else (no tags, floats or simple values), so no input costs more than its own length."""
    if pos >= len(data):
        raise CoseError(f"the {what} ends early")
    major, info = data[pos] >> 5, data[pos] & 0x1F
    if info < 24:
        value, pos = info, pos + 1
    elif info <= 27 and pos + 1 + (1 << (info - 24)) <= len(data):
        end = pos + 1 + (1 << (info - 24))
        value, pos = int.from_bytes(data[pos + 1 : end], "big"), end
    else:
        raise CoseError(f"the {what} has an indefinite or cut-short length")
    if major < 2:
        return (value if major == 0 else -1 - value), pos
    if major < 4:
        if pos + value > len(data):
            raise CoseError(f"the {what} runs past the end of the message")
        chunk = data[pos : pos + value]
        try:
            return (chunk if major == 2 else chunk.decode()), pos + value
        except UnicodeDecodeError:
            raise CoseError(f"the {what} has text that is not UTF-8") from None
    if major > 5 or depth > 3:
        raise CoseError(f"the {what} holds a tag, a float or too deep a nesting")
    items = []
    for _ in range(value if major == 4 else 2 * value):  # each item takes a byte at least
        item, pos = _header_item(data, pos, what, depth + 1)
        items.append(item)
    if major == 4:
        return items, pos
    keys = items[0::2]
    if not all(type(key) in (int, str) for key in keys):
        raise CoseError(f"the {what} has a label that is not an integer or text")
    return dict(zip(keys, items[1::2], strict=True)), pos


def _protected_kid(protected: bytes) -> bytes | None:
    # The header as we write it, read on every check, needs not even the reader above.
    head = protected[4] if len(protected) > 4 else 0
    short_kid = 0x40 <= head < 0x58 and len(protected) == 5 + head - 0x40
    if short_kid and protected[:4] == _ES256_PROTECTED:
        return protected[5:]  # {1: -7, 4: h'...'} with a key id shorter than 24 bytes
    header, end = _map_at(protected, 0, "protected header") if protected else ({}, 0)
    if end != len(protected):
        raise CoseError("bytes follow the protected header")
    alg = header.get(ALG)
    if type(alg) is not int or alg != ES256:
        raise CoseError("the message is not signed with ES256")
    kid = header.get(KID)
    return kid if type(kid) is bytes else None
