"""Sign skillcard credentials in a scheme's own system: a worked example.

Needs only Python 3.10+, ``cryptography`` and ``cbor2`` (pip install cryptography cbor2).
See docs/scheme-keys.md for the whole story. Three commands:

    python scheme_sign.py new-key --key scheme-key.pem --jwk scheme-key.jwk.json
        a P-256 key pair: the private key (PEM, keep it in your own system) and the public
        half as a JWK, which you register with the hub (it holds no private key of yours)

    python scheme_sign.py sign --key scheme-key.pem --claims claims.json
        the QR text ("SC1:...") of a printed credential for the claims the hub gave you
        (GET /api/v1/schemes/{code}/cards/{number}/claims, or `skillcard keys claims`)

    python scheme_sign.py kid --jwk scheme-key.jwk.json
        the key id the hub will give the key

The credential is the EU Digital COVID Certificate's pipeline: the claims as a CBOR map, signed
as COSE_Sign1 with ES256 and the key id in the protected header, deflated with zlib when that
makes it shorter, Base45, prefixed "SC1:".
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import time
import zlib

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

PREFIX = "SC1:"
SIGNED = 12  # the claim saying when the credential was signed (seconds since 1970, UTC)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def base45(data: bytes) -> str:
    """RFC 9285: each two bytes become three characters, a last odd byte two."""
    out = []
    for i in range(0, len(data) - 1, 2):
        high, low = divmod(data[i] << 8 | data[i + 1], 45)
        out += [BASE45[low], BASE45[high % 45], BASE45[high // 45]]
    if len(data) % 2:
        high, low = divmod(data[-1], 45)
        out += [BASE45[low], BASE45[high]]
    return "".join(out)


def sec1(public: ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed point 0x04 || x || y (65 bytes)."""
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def key_id(public: ec.EllipticCurvePublicKey) -> str:
    """As the hub names keys: the first 8 bytes of the SHA-256 of the point, base64url."""
    return b64url(hashlib.sha256(sec1(public)).digest()[:8])


def public_jwk(public: ec.EllipticCurvePublicKey) -> dict:
    point = sec1(public)
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(point[1:33]),
        "y": b64url(point[33:]),
        "alg": "ES256",
        "use": "sig",
        "kid": key_id(public),
    }


def sign1(payload: bytes, private: ec.EllipticCurvePrivateKey, kid: str) -> bytes:
    """A COSE_Sign1 message (RFC 9052), CBOR tag 18, ES256, kid in the protected header."""
    protected = cbor2.dumps({1: -7, 4: kid.encode()})  # alg: ES256, kid
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s = decode_dss_signature(private.sign(to_sign, ec.ECDSA(hashes.SHA256())))
    if s > P256_ORDER // 2:  # the hub accepts only the low-S form of a signature
        s = P256_ORDER - s
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # raw r || s, not DER
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))


def credential_text(claims: dict, private: ec.EllipticCurvePrivateKey, kid: str) -> str:
    """The QR text for a CBOR claims map (integer keys, as the hub gives it)."""
    message = sign1(cbor2.dumps(claims), private, kid)
    packed = zlib.compress(message, 9)
    return PREFIX + base45(packed if len(packed) < len(message) else message)


def claims_to_sign(answer: dict, now: int | None = None) -> dict:
    """The claims map from the hub's answer, stamped with the moment of signing (which must
    fall in the key's registered window)."""
    claims = cbor2.loads(unb64url(answer["cbor"]))
    claims[SIGNED] = int(time.time()) if now is None else now
    return claims


def _load_private(path: str) -> ec.EllipticCurvePrivateKey:
    with open(path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        sys.exit(f"{path} is not a P-256 private key")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new-key", help="make a P-256 key pair")
    new.add_argument("--key", required=True, help="where the private key (PEM) goes")
    new.add_argument("--jwk", required=True, help="where the public JWK goes")
    sign = commands.add_parser("sign", help="the QR text for the hub's claims")
    sign.add_argument("--key", required=True, help="the private key (PEM)")
    sign.add_argument("--claims", required=True, help="the hub's claims answer (JSON)")
    sign.add_argument("--signed-at", type=int, help="seconds since 1970 (default: now)")
    kid = commands.add_parser("kid", help="the key id of a public JWK")
    kid.add_argument("--jwk", required=True)
    args = parser.parse_args(argv)

    if args.command == "new-key":
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),  # a real scheme keeps it in an HSM or a vault
        )
        with open(args.key, "wb") as handle:
            handle.write(pem)
        with open(args.jwk, "w") as handle:
            json.dump(public_jwk(private.public_key()), handle, indent=2)
        print(key_id(private.public_key()))
    elif args.command == "sign":
        private = _load_private(args.key)
        with open(args.claims) as handle:
            answer = json.load(handle)
        claims = claims_to_sign(answer, args.signed_at)
        print(credential_text(claims, private, key_id(private.public_key())))
    else:
        with open(args.jwk) as handle:
            jwk = json.load(handle)
        point = b"\x04" + unb64url(jwk["x"]) + unb64url(jwk["y"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        print(key_id(public))
    return 0


if __name__ == "__main__":
    sys.exit(main())
