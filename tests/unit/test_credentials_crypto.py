"""The credential adapters on their own: Base45, COSE_Sign1, and signing keys at rest."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillcard.adapters import base45, cose, keys
from skillcard.domain.credentials import CoseError, EncodingError, MalformedCredential
from skillcard.errors import SkillcardError

SECRET = "a long random master secret for the tests only"

# --- Base45 (RFC 9285) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"\xff\xff", "FGW"),
        (b"\x00", "00"),
    ],
)
def test_base45_matches_the_rfc(data, text):
    assert base45.encode(data) == text
    assert base45.decode(text) == data


@given(st.binary(max_size=3000))
def test_base45_round_trips_any_bytes(data):
    assert base45.decode(base45.encode(data)) == data


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("GGW", "out of range"),  # 65,536
        ("ZZZ", "out of range"),
        ("BB8GGW", "out of range"),
        ("GGWBB8", "out of range"),
        ("ZZ", "last Base45 group"),  # 44 + 45·44 > 255
        ("A", "whole number"),
        ("BB8A", "whole number"),
        ("bb8", "alphabet"),
        ("BB8!", "alphabet"),
        ("BB\u0130", "alphabet"),
        ("BB8\n", "alphabet"),
    ],
)
def test_base45_is_strict(text, why):
    with pytest.raises(EncodingError, match=why):
        base45.decode(text)


def test_base45_decodes_text_longer_than_any_qr_code():
    data = bytes(range(256)) * 20
    assert base45.decode(base45.encode(data)) == data


# --- COSE_Sign1 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_key():
    return keys.generate_private_key()


def test_a_message_has_the_designed_shape(signing_key):
    message = cose.sign(b"payload", signing_key, "kid-1")
    tag = cbor2.loads(message)
    assert tag.tag == 18
    protected, unprotected, payload, signature = tag.value
    assert cbor2.loads(protected) == {1: -7, 4: b"kid-1"}
    assert unprotected == {} and payload == b"payload" and len(signature) == 64
    assert cose.decode(message) == (b"kid-1", b"payload", protected, signature)


def test_a_signature_verifies_only_with_its_key_and_bytes(signing_key):
    message = cose.decode(cose.sign(b"payload", signing_key, "kid-1"))
    assert cose.verify_signature(message, signing_key.public_key())
    other = keys.generate_private_key().public_key()
    assert not cose.verify_signature(message, other)
    altered = message._replace(payload=b"payloaD")
    assert not cose.verify_signature(altered, signing_key.public_key())


def test_signatures_are_raw_r_and_s_not_der(signing_key):
    for _ in range(20):  # some r or s have leading zero bytes or a high bit
        message = cose.decode(cose.sign(b"x", signing_key, "k"))
        assert len(message.signature) == 64
        assert cose.verify_signature(message, signing_key.public_key())


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "tagged"),
        (b"\xd2", "array of four"),
        (b"\xd3\x84", "tagged"),
        (b"\x84\x40\xa0\x40\x58\x40" + bytes(64), "tagged"),  # untagged: not as we write it
        (b"\xd2\x84\x40", "unprotected header"),
        (b"\xd2\x84\x40\xa0", "payload"),
        (b"\xd2\x84\x40\xa0\x40\x58", "signature"),
        (b"\xd2\x84\x40\xa0\x40\x58\x40" + bytes(63), "past the end"),
        (b"\xd2\x84\x40\xa0\x40\x58\x40" + bytes(64), "ES256"),
        (b"\xd2\x84\x5f\x40\xff\xa0\x40\x40", "not a byte string"),  # indefinite length
        (b"\xd2\x84\x40\x80\x40\x40", "not a map"),
        (bytes(20_000), "too long"),
    ],
)
def test_cose_decoding_refuses_what_is_out_of_shape(data, why):
    with pytest.raises(CoseError, match=why):
        cose.decode(data)
    assert issubclass(CoseError, MalformedCredential)


def test_a_kid_in_the_unprotected_header_is_accepted(signing_key):
    protected = cbor2.dumps({1: -7})
    message = cbor2.dumps(cbor2.CBORTag(18, [protected, {4: b"kid-2"}, b"p", bytes(64)]))
    assert cose.decode(message).kid == b"kid-2"


def test_headers_with_other_labels_are_read_strictly(signing_key):
    protected = cbor2.dumps({1: -7, 3: "application/cbor", 4: b"kid-3", "x": [1, {2: b""}]})
    message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, b"p", bytes(64)]))
    assert cose.decode(message).kid == b"kid-3"


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (cbor2.dumps({1: -7, 4: cbor2.CBORTag(35, "(a+)+" * 2000)}), "tag"),
        (cbor2.dumps({1: -7.0, 4: b"k"}), "tag, a float"),
        (cbor2.dumps({1: -7, 4: b"k", 5: True}), "tag, a float"),
        (cbor2.dumps({1: -7, 4: [[[[[b"k"]]]]]}), "too deep"),
        (b"\xa2\x01\x26\x04\x62\xff\xfe", "UTF-8"),
        (b"\xbf\x01\x26\xff", "indefinite"),
        (b"\xa1\x81\x01\x01", "label"),
        (cbor2.dumps({1: -7, 4: b"k"}) + b"\x00", "follow"),
        (b"\xa1\x01", "ends early"),
        (cbor2.dumps([1, -7]), "not a map"),
        (cbor2.dumps({1: -35, 4: b"k"}), "ES256"),
    ],
)
def test_a_header_with_anything_unexpected_is_refused_cheaply(header, why):
    message = cbor2.dumps(cbor2.CBORTag(18, [header, {}, b"p", bytes(64)]))
    with pytest.raises(CoseError, match=why):
        cose.decode(message)


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.integers(-5, 5), inner),
    max_leaves=12,
)


@given(st.binary(max_size=300))
def test_decoding_random_bytes_raises_only_cose_errors(data):
    for candidate in (data, b"\x84" + data, b"\xd2\x84\x40" + data):
        with contextlib.suppress(CoseError):
            cose.decode(candidate)


@given(cbor_values, cbor_values)
def test_decoding_random_headers_raises_only_cose_errors(protected, unprotected):
    parts = [cbor2.dumps(protected), unprotected, b"p", bytes(64)]
    message = cbor2.dumps(cbor2.CBORTag(18, parts))
    with contextlib.suppress(CoseError):
        cose.decode(message)


def test_loads_refuses_trailing_bytes_and_bad_cbor():
    assert cose.loads(b"\xa1\x01\x02") == {1: 2}
    with pytest.raises(CoseError, match="follow"):
        cose.loads(b"\x01\x02")
    with pytest.raises(CoseError, match="CBOR"):
        cose.loads(b"\x81" * 10_000 + b"\x00")
    with pytest.raises(CoseError, match="CBOR"):
        cose.loads(b"\x5b\x7f\xff\xff\xff\xff\xff\xff\xff")


# --- keys ------------------------------------------------------------------------------------


def test_a_key_id_is_8_bytes_of_the_public_key_hash_in_base64url(signing_key):
    sec1 = keys.public_key_bytes(signing_key)
    assert len(sec1) == 65 and sec1[0] == 4
    expected = base64.urlsafe_b64encode(hashlib.sha256(sec1).digest()[:8]).rstrip(b"=")
    assert keys.key_id(signing_key) == keys.key_id(sec1) == expected.decode()
    assert len(keys.key_id(signing_key)) == 11


def test_public_keys_round_trip_through_sec1_and_jwk(signing_key):
    sec1 = keys.public_key_bytes(signing_key)
    assert keys.public_key_bytes(keys.load_public_key(sec1)) == sec1
    jwk = keys.public_key_jwk(signing_key)
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and jwk["kid"] == keys.key_id(sec1)
    assert keys.public_key_from_jwk(jwk) == sec1


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA"},
        {"kty": "EC", "crv": "P-384", "x": "", "y": ""},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
        {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43},  # not on the curve
        {"kty": "EC", "crv": "P-256"},
    ],
)
def test_a_bad_jwk_is_refused(jwk):
    with pytest.raises(keys.InvalidPublicKey):
        keys.public_key_from_jwk(jwk)


@pytest.mark.parametrize("sec1", [b"", b"\x04" + bytes(64), b"\x02" + bytes(32), bytes(65)])
def test_a_bad_public_key_is_refused(sec1):
    with pytest.raises(keys.InvalidPublicKey):
        keys.load_public_key(sec1)


def test_a_private_key_round_trips_encrypted(signing_key):
    kid = keys.key_id(signing_key)
    blob = keys.encrypt_private_key(signing_key, SECRET)
    assert signing_key.private_numbers().private_value.to_bytes(32, "big") not in blob
    opened = keys.decrypt_private_key(blob, SECRET, kid)
    assert opened.private_numbers() == signing_key.private_numbers()
    assert keys.encrypt_private_key(signing_key, SECRET) != blob  # fresh salt and nonce


def test_the_wrong_secret_is_refused_clearly(signing_key):
    blob = keys.encrypt_private_key(signing_key, SECRET)
    with pytest.raises(keys.SigningKeyError, match="SKILLCARD_SECRET_KEY"):
        keys.decrypt_private_key(blob, "another secret", keys.key_id(signing_key))
    assert issubclass(keys.SigningKeyError, SkillcardError)


def test_a_blob_is_bound_to_its_key_id(signing_key):
    blob = keys.encrypt_private_key(signing_key, SECRET)
    other = keys.key_id(keys.generate_private_key())
    with pytest.raises(keys.SigningKeyError):
        keys.decrypt_private_key(blob, SECRET, other)


@pytest.mark.parametrize("position", [0, 1, 16, 17, 28, 29, 60, 76])
def test_a_tampered_blob_is_refused(signing_key, position):
    blob = bytearray(keys.encrypt_private_key(signing_key, SECRET))
    blob[position] ^= 0x01
    with pytest.raises(keys.SigningKeyError):
        keys.decrypt_private_key(bytes(blob), SECRET, keys.key_id(signing_key))


def test_a_truncated_blob_or_an_empty_secret_is_refused(signing_key):
    kid = keys.key_id(signing_key)
    blob = keys.encrypt_private_key(signing_key, SECRET)
    with pytest.raises(keys.SigningKeyError, match="format"):
        keys.decrypt_private_key(blob[:-1], SECRET, kid)
    with pytest.raises(keys.SigningKeyError, match="master secret"):
        keys.encrypt_private_key(signing_key, "")
