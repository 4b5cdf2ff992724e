"""Signing keys: ES256 (P-256) key pairs, key ids, and private keys encrypted at rest.

A key id is the first 8 bytes of the SHA-256 of the SEC1 uncompressed public key, in
unpadded base64url (11 characters): anyone holding the public key can recompute it.

A stored private key is encrypted with a key-encryption key derived from the master secret
(``SKILLCARD_SECRET_KEY``) by HKDF-SHA256 with a fresh random salt per key, under AES-256-GCM
with the key id as associated data, so a blob moved onto another key's row does not decrypt.
HKDF (not a slow password hash) is right because the secret is a long random value, which the
settings insist on outside development.

    blob = version (1 byte: 1) || salt (16) || nonce (12) || AES-GCM(scalar (32)) || tag (16)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from skillcard.errors import InvalidInput, SkillcardError

_VERSION = b"\x01"
_SALT, _NONCE = 16, 12
_BLOB_LENGTH = 1 + _SALT + _NONCE + 32 + 16
_INFO = b"skillcard signing key encryption v1"
_CURVE = ec.SECP256R1()


class SigningKeyError(SkillcardError):
    """A stored signing key that cannot be opened: wrong master secret, or a damaged blob."""

    code = "signing_key_unavailable"
    http_status = 500


class InvalidPublicKey(InvalidInput):
    code = "invalid_public_key"


MAX_KEY_TEXT = 8_192  # a P-256 JWK or PEM is a few hundred characters
_PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(_CURVE)


def public_key_bytes(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The SEC1 uncompressed point: 0x04 || x || y, 65 bytes."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def load_public_key(sec1: bytes) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from its SEC1 point; a point not on the curve is refused."""
    if len(sec1) != 65 or sec1[:1] != b"\x04":
        raise InvalidPublicKey("a P-256 public key is 65 bytes, starting 0x04")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, sec1)
    except ValueError:
        raise InvalidPublicKey("the public key is not a point on P-256") from None


def key_id(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey | bytes) -> str:
    sec1 = key if isinstance(key, bytes) else public_key_bytes(key)
    return _b64(hashlib.sha256(sec1).digest()[:8])


def public_key_jwk(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> dict:
    """The public key as a JWK (RFC 7517), with its key id."""
    sec1 = public_key_bytes(key)
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(sec1[1:33]),
        "y": _b64(sec1[33:]),
        "kid": key_id(sec1),
        "alg": "ES256",
    }


def public_key_from_jwk(jwk: dict) -> bytes:
    """The SEC1 point of a P-256 JWK, checked to be on the curve."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidPublicKey("the JWK is not a P-256 key")
    try:
        x, y = _unb64(jwk["x"]), _unb64(jwk["y"])
    except (KeyError, TypeError, ValueError):
        raise InvalidPublicKey("the JWK's x and y are not base64url") from None
    if len(x) != 32 or len(y) != 32:
        raise InvalidPublicKey("a P-256 JWK's x and y are 32 bytes each")
    sec1 = b"\x04" + x + y
    load_public_key(sec1)
    return sec1


def parse_public_key(text: str) -> tuple[bytes, str | None]:
    """The SEC1 point of a P-256 public key given as a JWK (JSON) or a PEM public key, and the
    ``kid`` the JWK names (None if none). Anything else is refused with
    :class:`InvalidPublicKey`: a private key of either form (whose text no message repeats),
    RSA or another curve or algorithm, damaged text."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPublicKey("send the public key as a JWK or a PEM public key")
    if len(text) > MAX_KEY_TEXT:
        raise InvalidPublicKey(f"a public key is not longer than {MAX_KEY_TEXT} characters")
    text = text.strip()
    if text.startswith("{"):
        try:
            jwk = json.loads(text)
        except ValueError:
            raise InvalidPublicKey("the key starts like a JWK but is not JSON") from None
        return _from_jwk(jwk)
    if "PRIVATE KEY" in text:
        raise InvalidPublicKey(_PRIVATE_REFUSED)
    if not text.startswith("-----BEGIN PUBLIC KEY-----"):
        raise InvalidPublicKey("the key is neither a JWK nor a PEM public key")
    try:
        public = serialization.load_pem_public_key(text.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidPublicKey("the PEM public key cannot be read") from None
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise InvalidPublicKey(f"only P-256 (ES256) keys are accepted, not {_kind(public)}")
    if public.curve.name != _CURVE.name:
        raise InvalidPublicKey(f"only P-256 (ES256) keys are accepted, not {public.curve.name}")
    return public_key_bytes(public), None


_PRIVATE_REFUSED = (
    "that is a private key: send only the public half, and keep the private key in your own "
    "system (the hub never takes a scheme's private key)"
)


def _from_jwk(jwk: object) -> tuple[bytes, str | None]:
    if type(jwk) is not dict:
        raise InvalidPublicKey("a JWK is a JSON object")
    if any(member in jwk for member in _PRIVATE_JWK_MEMBERS):
        raise InvalidPublicKey(_PRIVATE_REFUSED)
    if jwk.get("kty") == "RSA":
        raise InvalidPublicKey("only P-256 (ES256) keys are accepted, not RSA")
    if jwk.get("alg", "ES256") != "ES256":
        raise InvalidPublicKey("the JWK's alg must be ES256")
    if jwk.get("use", "sig") != "sig":
        raise InvalidPublicKey('the JWK\'s use must be "sig"')
    kid = jwk.get("kid")
    if kid is not None and (type(kid) is not str or not 0 < len(kid) <= 32):
        raise InvalidPublicKey("the JWK's kid must be text of 1 to 32 characters")
    return public_key_from_jwk(jwk), kid


def _kind(public: object) -> str:
    name = type(public).__name__.removeprefix("_")
    return "RSA" if "RSA" in name else name.removesuffix("PublicKey") or "that kind of key"


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, secret: str | bytes) -> bytes:
    """The private key sealed under the master secret, bound to its own key id."""
    salt, nonce = os.urandom(_SALT), os.urandom(_NONCE)
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    sealed = AESGCM(_kek(secret, salt)).encrypt(nonce, scalar, _aad(key_id(key)))
    return _VERSION + salt + nonce + sealed


def decrypt_private_key(blob: bytes, secret: str | bytes, kid: str) -> ec.EllipticCurvePrivateKey:
    """The private key in ``blob``; a wrong secret, key id or altered blob raises
    :class:`SigningKeyError`."""
    if len(blob) != _BLOB_LENGTH or blob[:1] != _VERSION:
        raise SigningKeyError(f"the stored signing key {kid} is not in a format this reads")
    salt, nonce, sealed = blob[1:17], blob[17:29], blob[29:]
    try:
        scalar = AESGCM(_kek(secret, salt)).decrypt(nonce, sealed, _aad(kid))
    except InvalidTag:
        raise SigningKeyError(
            f"the signing key {kid} cannot be decrypted: SKILLCARD_SECRET_KEY is not the "
            "secret it was stored with, or the stored key has been altered"
        ) from None
    key = ec.derive_private_key(int.from_bytes(scalar, "big"), _CURVE)
    if key_id(key) != kid:  # cannot happen unless the blob was sealed with a wrong kid
        raise SigningKeyError(f"the stored signing key is not key {kid}")
    return key


def _kek(secret: str | bytes, salt: bytes) -> bytes:
    material = secret.encode() if isinstance(secret, str) else secret
    if not material:
        raise SigningKeyError("no master secret (SKILLCARD_SECRET_KEY) to open signing keys with")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(material)


def _aad(kid: str) -> bytes:
    return b"skillcard signing key " + kid.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
