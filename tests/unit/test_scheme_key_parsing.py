"""A scheme's public key as it arrives (JWK or PEM), and the windows it may sign in (issue 17
item 3). A private key is refused, and no message repeats it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from skillcard.adapters import keys
from skillcard.adapters.keys import InvalidPublicKey, parse_public_key
from skillcard.domain.signing import SigningKeyRecord, check_scheme_key_window
from skillcard.domain.trust import KeyHolder, KeyStatus
from skillcard.errors import InvalidInput

NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
P256 = ec.generate_private_key(ec.SECP256R1())
JWK = keys.public_key_jwk(P256)


def pem(key, private: bool = False) -> str:
    if private:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_a_jwk_and_a_pem_of_one_key_give_one_point_and_the_hubs_kid():
    jwk = keys.public_key_jwk(P256)
    from_jwk, named = parse_public_key(json.dumps(jwk))
    from_pem, none = parse_public_key("\n" + pem(P256) + "\n")
    assert from_jwk == from_pem == keys.public_key_bytes(P256)
    assert named == keys.key_id(from_pem) and none is None
    del jwk["kid"], jwk["alg"]
    assert parse_public_key(json.dumps(jwk)) == (from_pem, None)


@pytest.mark.parametrize(
    "member", ["d", "p", "q", "dp", "dq", "qi", "k"], ids=lambda m: f"jwk with {m}"
)
def test_a_private_jwk_is_refused_without_repeating_it(member):
    jwk = keys.public_key_jwk(P256) | {member: "c2VjcmV0LXNjYWxhci1ieXRlcw"}
    with pytest.raises(InvalidPublicKey, match="private key") as refused:
        parse_public_key(json.dumps(jwk))
    assert "c2VjcmV0" not in str(refused.value)


@pytest.mark.parametrize(
    "key",
    [P256, rsa.generate_private_key(public_exponent=65537, key_size=2048)],
    ids=["ec", "rsa"],
)
def test_a_private_pem_is_refused_without_repeating_it(key):
    text = pem(key, private=True)
    with pytest.raises(InvalidPublicKey, match="private key") as refused:
        parse_public_key(text)
    assert text.splitlines()[1] not in str(refused.value)
    traditional = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()  # "BEGIN EC PRIVATE KEY", "BEGIN RSA PRIVATE KEY"
    with pytest.raises(InvalidPublicKey, match="private key"):
        parse_public_key(traditional)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)), "not RSA"),
        (pem(ec.generate_private_key(ec.SECP384R1())), "not secp384r1"),
        (pem(ed25519.Ed25519PrivateKey.generate()), "only P-256"),
        (json.dumps({"kty": "RSA", "n": "AQAB", "e": "AQAB"}), "not RSA"),
        (json.dumps(keys.public_key_jwk(P256) | {"crv": "P-384"}), "not a P-256"),
        (json.dumps(keys.public_key_jwk(P256) | {"alg": "ES384"}), "alg must be ES256"),
        (json.dumps(keys.public_key_jwk(P256) | {"use": "enc"}), "use must be"),
        (json.dumps(keys.public_key_jwk(P256) | {"kid": 7}), "kid must be text"),
        (json.dumps(keys.public_key_jwk(P256) | {"x": "AAAA"}), "32 bytes"),
        (json.dumps(keys.public_key_jwk(P256) | {"y": JWK["x"]}), "not a point"),
        ('{"kty": "EC",', "not JSON"),
        ("[1, 2]", "neither"),
        ("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----", "cannot be read"),
        ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "neither"),
        ("", "send the public key"),
        ("{" + " " * 9000 + "}", "not longer than"),
    ],
)
def test_keys_that_cannot_sign_es256_credentials_are_refused(text, says):
    with pytest.raises(InvalidPublicKey, match=says):
        parse_public_key(text)


def test_an_empty_jwk_is_not_a_p256_key():
    with pytest.raises(InvalidPublicKey, match="not a P-256"):
        parse_public_key("{}")


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (NOW, NOW - dt.timedelta(seconds=1), "already ended"),
        (NOW + dt.timedelta(days=20), NOW + dt.timedelta(days=10), "ends before it starts"),
        (NOW, NOW + dt.timedelta(days=6 * 366), "at most five years"),
        (NOW.replace(tzinfo=None), NOW + dt.timedelta(days=1), "time zone"),
    ],
)
def test_windows_that_cannot_be_right_are_refused(start, end, says):
    with pytest.raises(InvalidInput, match=says):
        check_scheme_key_window(start, end, NOW)


def test_a_window_may_start_in_the_past_or_the_future():
    check_scheme_key_window(NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=1), NOW)
    check_scheme_key_window(NOW + dt.timedelta(days=30), NOW + dt.timedelta(days=60), NOW)


def test_retiring_a_scheme_key_ends_its_window_now_or_keeps_an_earlier_end():
    sec1 = keys.public_key_bytes(P256)
    key = SigningKeyRecord(
        "k", 1, sec1, None, NOW - dt.timedelta(days=9), valid_until=NOW + dt.timedelta(days=9),
        holder=KeyHolder.SCHEME,
    )  # fmt: skip
    key.retire(now=NOW, verify_until=NOW.date())
    assert (key.status, key.valid_until) == (KeyStatus.RETIRED, NOW)
    ended = SigningKeyRecord(
        "e", 1, sec1, None, NOW - dt.timedelta(days=9), valid_until=NOW - dt.timedelta(days=1),
        holder=KeyHolder.SCHEME,
    )  # fmt: skip
    ended.retire(now=NOW, verify_until=NOW.date())
    assert ended.valid_until == NOW - dt.timedelta(days=1)
    future = SigningKeyRecord(
        "f", 1, sec1, None, NOW + dt.timedelta(days=9), valid_until=NOW + dt.timedelta(days=19),
        holder=KeyHolder.SCHEME,
    )  # fmt: skip
    future.retire(now=NOW, verify_until=NOW.date())
    assert future.valid_until == future.valid_from  # its window shrinks to its first moment
