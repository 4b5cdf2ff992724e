"""Signed JSON documents (the trust list and the status lists), and capped gzip.

A document is a JSON object whose ``signature`` member is ES256 (P-256, SHA-256) over the
document's *canonical* form without that member: UTF-8 JSON with keys sorted and no spaces
(``json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``), which any
language reproduces from the parsed object. The signature is the raw 64 bytes r || s in
unpadded base64url, as in JWS (RFC 7515); the signing key is named by the document's ``kid``.

Signatures are deterministic (RFC 6979), so the same content always gives the same bytes:
published documents keep their ETag until something in them changes. They are low-S, as the
credentials' are (see :mod:`skillcard.adapters.cose`): the high-S twin is refused.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters.cose import der_signature, is_low_s, raw_low_s
from skillcard.errors import InvalidInput

_ES256 = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
_ES256_VERIFY = ec.ECDSA(hashes.SHA256())


class BadDocument(InvalidInput):
    """A signed document that is damaged, oversized or signed by the wrong key."""

    code = "bad_signed_document"


def canonical(document: dict) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_document(document: dict, private_key: ec.EllipticCurvePrivateKey) -> dict:
    """``document`` with its ``signature`` member set (its ``kid`` must already be there)."""
    raw = raw_low_s(private_key.sign(canonical(document), _ES256))
    return {**document, "signature": b64(raw)}


def signature_ok(document: dict, public_key: ec.EllipticCurvePublicKey) -> bool:
    try:
        raw = unb64(document["signature"])
    except (KeyError, TypeError, ValueError):
        return False
    if len(raw) != 64 or not is_low_s(raw):
        return False
    try:
        public_key.verify(der_signature(raw), canonical(document), _ES256_VERIFY)
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


def gzip_b64(data: bytes) -> str:
    # mtime=0: the same bits always compress to the same text
    return base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode()


def gunzip_b64(text: object, *, max_bytes: int, max_text: int = 4 * 1024 * 1024) -> bytes:
    """Inflate base64(gzip(...)), refusing anything that would inflate past ``max_bytes``
    before inflating it (a zip bomb costs us ``max_bytes`` at most)."""
    if type(text) is not str or len(text) > max_text:
        raise BadDocument("a compressed member is not text, or is too long")
    try:
        packed = base64.b64decode(text, validate=True)
    except ValueError:
        raise BadDocument("a compressed member is not base64") from None
    inflater = zlib.decompressobj(wbits=31)  # 31: gzip framing only
    try:
        out = inflater.decompress(packed, max_bytes)
    except zlib.error:
        raise BadDocument("a compressed member is damaged") from None
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise BadDocument(f"a compressed member inflates past {max_bytes} bytes or is cut short")
    return out


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    if type(text) is not str or len(text) > 1024:
        raise ValueError("not base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
