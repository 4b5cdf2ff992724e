"""Ports of signing: the keys (P-256) and the signed JSON documents made with them (status
lists, the trust list, the audit log's checkpoints). The printed and phone credentials are
COSE, signed in :mod:`skillcard.services.credentials.credentials` through the same keys."""

from __future__ import annotations

from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey


class KeyCrypto(Protocol):
    def generate_private_key(self) -> PrivateKey: ...
    def public_key_bytes(self, key: PrivateKey | PublicKey) -> bytes: ...
    def load_public_key(self, sec1: bytes) -> PublicKey:
        """The key of SEC1 bytes, or invalid input if they are not a point on the curve."""
        ...

    def key_id(self, key: PrivateKey | PublicKey | bytes) -> str: ...
    def parse_public_key(self, text: str) -> tuple[bytes, str | None]:
        """The SEC1 point and named kid of a public JWK or PEM; invalid input otherwise."""
        ...

    def public_key_jwk(self, key: PrivateKey | PublicKey) -> dict[str, Any]: ...
    def encrypt_private_key(self, key: PrivateKey, secret: str | bytes) -> bytes: ...
    def decrypt_private_key(self, blob: bytes, secret: str | bytes, kid: str) -> PrivateKey: ...


class DocumentSigning(Protocol):
    def sign_document(self, document: dict[str, Any], private_key: PrivateKey) -> dict[str, Any]:
        """``document`` with its ``signature`` member set (its ``kid`` already there)."""
        ...

    def signature_ok(self, document: dict[str, Any], public_key: PublicKey) -> bool: ...
