"""JOSE compact signatures (ES256) over joserfc, for the open credential formats.

The COSE credential of the QR code is signed by :mod:`skillcard.adapters.cose`; the SD-JWT VC and
Open Badges 3.0 exports are JWS, signed here with the same P-256 keys. joserfc does the JWS
work; this module pins the algorithm (a token's header never chooses it: ``none``, HS256 with
the public key as a secret and every other algorithm are refused before any key is touched) and
turns joserfc's errors into :class:`JoseRefused` with the outcome word a verifier reports.
"""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import errors, jws
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
MAX_TOKEN = 64 * 1024  # a card or a badge is a few kilobytes; anything far larger is hostile


class JoseRefused(Exception):
    """A token that does not verify; ``outcome`` is ``malformed`` or ``bad_signature``."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


def sign(header: dict, payload: dict, private: ec.EllipticCurvePrivateKey) -> str:
    """The compact JWS of ``payload`` (JSON, compact separators) under ``header`` + ES256."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return jws.serialize_compact({**header, "alg": ALGORITHM}, body, ECKey.import_key(private))


def unverified_header(token: str) -> dict:
    """The protected header, read before any key is chosen (to find the ``kid``); a header
    that is not a JSON object, or names another algorithm than ES256, is refused."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 2:
        raise JoseRefused("malformed", "a compact JWS has three parts separated by dots")
    try:
        header = json.loads(unb64(token.split(".", 1)[0]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JoseRefused("malformed", "the JWS header is not base64url JSON") from None
    if not isinstance(header, dict):
        raise JoseRefused("malformed", "the JWS header is not a JSON object")
    if header.get("alg") != ALGORITHM:
        # ``none`` or any other algorithm: no signature we trust could be checked.
        raise JoseRefused("bad_signature", f"the algorithm {header.get('alg')!r} is not ES256")
    return header


def verify(token: str, public: ec.EllipticCurvePublicKey) -> tuple[dict, dict]:
    """The header and the JSON payload of ``token`` if ES256 under ``public`` vouches for it."""
    unverified_header(token)
    try:
        found = jws.deserialize_compact(token, ECKey.import_key(public), algorithms=[ALGORITHM])
    except errors.BadSignatureError:
        raise JoseRefused("bad_signature", "the signature does not verify") from None
    except (errors.JoseError, ValueError, TypeError) as problem:
        raise JoseRefused("malformed", f"the JWS cannot be read: {problem}") from None
    try:
        payload = json.loads(found.payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JoseRefused("malformed", "the JWS payload is not JSON") from None
    if not isinstance(payload, dict):
        raise JoseRefused("malformed", "the JWS payload is not a JSON object")
    return dict(found.headers()), payload


def public_key_of_jwk(jwk: dict) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from a JWK (a holder's ``cnf``); anything else is ``malformed``."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise JoseRefused("malformed", "the key is not a P-256 JWK")
    try:
        key = ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})
    except (errors.JoseError, KeyError, ValueError, TypeError):
        raise JoseRefused("malformed", "the JWK is not a point on P-256") from None
    return key.public_key


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def unb64(text: str) -> bytes:
    """base64url without padding, strictly (no other characters); ValueError otherwise."""
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
