"""Hostile input: whatever the text, verify() answers with the right outcome, never raises,
and never says ``valid``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import zlib

import cbor2
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from skillcard.adapters import base45, cose, keys
from skillcard.domain.credentials import (
    ClaimsError,
    EncodingError,
    Outcome,
    claims_from_map,
    claims_to_map,
)
from skillcard.domain.trust import (
    CLOCK_SKEW,
    KeyStatus,
    StatusList,
    TrustedKey,
)
from skillcard.services.credentials.verification import (
    MAX_INFLATED,
    PREFIX,
    VerifierBundle,
    cose_from_text,
    inflate,
    text_from_cose,
    verify,
)
from tests.unit.test_verification import DAY, MINUTE, NOW, make_world, realistic_claims

WORLD = make_world(revoked=[7], suspended=[8])  # built once: hypothesis reuses it
GOOD = WORLD.issue()


def wire(changes: dict | None = None) -> dict:
    card = dataclasses.replace(realistic_claims(), signed=NOW - DAY)
    return {**claims_to_map(card), **(changes or {})}


def altered_payload(text: str) -> str:
    message = cose.decode(cose_from_text(text))
    payload = bytearray(message.payload)
    payload[payload.index(b"Siob")] ^= 0x20  # "Siob" -> "siob": still good CBOR
    tampered = [message.protected, {}, bytes(payload), message.signature]
    return text_from_cose(cbor2.dumps(cbor2.CBORTag(18, tampered)))


def flipped_signature(text: str) -> str:
    message = cose.decode(cose_from_text(text))
    signature = bytes([message.signature[0] ^ 1]) + message.signature[1:]
    return text_from_cose(tagged([message.protected, {}, message.payload, signature]))


def with_kid(text: str, kid: bytes) -> str:
    """The same signed bytes, with the key id in the unprotected header instead."""
    message = cose.decode(cose_from_text(text))
    protected = cbor2.dumps({1: -7})
    return text_from_cose(tagged([protected, {4: kid}, message.payload, message.signature]))


def tagged(parts: list) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(18, parts))  # COSE_Sign1 as the issuer writes it


def signed_by_outsider(text: str) -> str:
    """The same claims signed by a key nobody trusts, naming WORLD's key id."""
    payload = cose.decode(cose_from_text(text)).payload
    return text_from_cose(cose.sign(payload, keys.generate_private_key(), WORLD.kid))


def swapped_kid_bundle() -> tuple[str, VerifierBundle]:
    """Two trusted ECS keys; a credential signed by the first names the second."""
    second_key = keys.generate_private_key()
    second = TrustedKey(keys.key_id(second_key), "ECS", keys.public_key_bytes(second_key), NOW)
    payload = cose.decode(cose_from_text(GOOD)).payload
    text = text_from_cose(cose.sign(payload, WORLD.signing_key, second.kid))
    return text, VerifierBundle([WORLD.trusted, second], WORLD.bundle.status_lists.values())


def bomb(size: int) -> str:
    return PREFIX + base45.encode(zlib.compress(bytes(size), 9))


def deep(levels: int) -> bytes:
    return b"\x81" * levels + b"\x00"


def other_scheme_bundle() -> VerifierBundle:
    cscs = dataclasses.replace(WORLD.trusted, scheme="CSCS")
    return VerifierBundle([cscs], WORLD.bundle.status_lists.values())


def retired_bundle() -> VerifierBundle:
    retired = dataclasses.replace(
        WORLD.trusted, valid_until=NOW - 30 * DAY, status=KeyStatus.RETIRED
    )
    return VerifierBundle([retired], WORLD.bundle.status_lists.values())


def stale_bundle() -> VerifierBundle:
    stale = StatusList.build(scheme="ECS", issued=NOW - 2 * DAY, revoked=[7])
    return VerifierBundle([WORLD.trusted], [stale])


HOSTILE = {
    # framing
    "empty": ("", Outcome.MALFORMED),
    "only the prefix": (PREFIX, Outcome.MALFORMED),
    "wrong prefix": ("HC1:" + GOOD[4:], Outcome.MALFORMED),
    "lower-case prefix": ("sc1:" + GOOD[4:], Outcome.MALFORMED),
    "no prefix": (GOOD[4:], Outcome.MALFORMED),
    "lower-case Base45": (GOOD.lower().replace("sc1:", PREFIX), Outcome.MALFORMED),
    "not Base45": (PREFIX + "ÆØÅ€", Outcome.MALFORMED),
    "a Base45 group out of range": (PREFIX + "GGW", Outcome.MALFORMED),
    "one character too many": (GOOD + "A", Outcome.MALFORMED),
    "truncated": (GOOD[:-3], Outcome.MALFORMED),
    "half": (GOOD[: len(GOOD) // 2], Outcome.MALFORMED),
    "longer than a QR code": (PREFIX + "A" * 5000, Outcome.MALFORMED),
    "neither CBOR nor zlib": (PREFIX + base45.encode(b"\x00hello"), Outcome.MALFORMED),
    "damaged zlib": (PREFIX + base45.encode(b"\x78\x9c\xff\xff\xff"), Outcome.MALFORMED),
    "zlib then junk": (
        PREFIX + base45.encode(zlib.compress(cose_from_text(GOOD)) + b"junk"),
        Outcome.MALFORMED,
    ),
    "zip bomb, 10 MB of zeros": (bomb(10_000_000), Outcome.MALFORMED),
    "zip bomb that fits a QR code": (bomb(1_000_000), Outcome.MALFORMED),
    # COSE structure
    "a CBOR array of three": (text_from_cose(cbor2.dumps([b"", {}, b""])), Outcome.MALFORMED),
    "deeply nested CBOR": (text_from_cose(b"\xd2\x84\x40" + deep(5000)), Outcome.MALFORMED),
    "a huge declared length": (
        text_from_cose(b"\x84\x5b" + b"\xff" * 8),
        Outcome.MALFORMED,
    ),
    "a short signature": (
        text_from_cose(cbor2.dumps([cbor2.dumps({1: -7, 4: b"k"}), {}, b"\xa0", b"sig"])),
        Outcome.MALFORMED,
    ),
    "another algorithm": (
        text_from_cose(cbor2.dumps([cbor2.dumps({1: -35, 4: b"k"}), {}, b"\xa0", bytes(64)])),
        Outcome.MALFORMED,
    ),
    "no key id": (
        text_from_cose(cbor2.dumps([cbor2.dumps({1: -7}), {}, b"\xa0", bytes(64)])),
        Outcome.MALFORMED,
    ),
    "bytes after the message": (
        text_from_cose(cose_from_text(GOOD) + b"\x00"),
        Outcome.MALFORMED,
    ),
    # signed, but the claims are wrong inside
    "claims not a map": (WORLD.sign_map([1, 2, 3]), Outcome.MALFORMED),
    "claims of the wrong type": (WORLD.sign_map(wire({5: 12345})), Outcome.MALFORMED),
    "a huge integer": (WORLD.sign_map(wire({11: 2**200})), Outcome.MALFORMED),
    "a huge day number": (WORLD.sign_map(wire({10: 10**40})), Outcome.MALFORMED),
    "a float for a date": (WORLD.sign_map(wire({9: 19000.5})), Outcome.MALFORMED),
    "a tagged date": (
        WORLD.sign_map(wire({9: cbor2.CBORTag(100, 19000)})),
        Outcome.MALFORMED,
    ),
    "a missing claim": (
        WORLD.sign_map({k: v for k, v in wire().items() if k != 5}),
        Outcome.MALFORMED,
    ),
    "deep nesting inside the claims": (
        text_from_cose(cose.sign(b"\xa1\x18\x63" + deep(2000), WORLD.signing_key, WORLD.kid)),
        Outcome.MALFORMED,
    ),
    # signatures and keys
    "altered claims": (altered_payload(GOOD), Outcome.BAD_SIGNATURE),
    "a flipped signature bit": (flipped_signature(GOOD), Outcome.BAD_SIGNATURE),
    "signed by an outsider under a trusted key id": (
        signed_by_outsider(GOOD),
        Outcome.BAD_SIGNATURE,
    ),
    "an unknown key id": (WORLD.sign_map(wire(), kid="nobody"), Outcome.UNKNOWN_ISSUER),
    "a key id only in the unprotected header, altered": (
        with_kid(GOOD, WORLD.kid.encode()),
        Outcome.BAD_SIGNATURE,
    ),
}


def run(text: str, bundle: VerifierBundle = WORLD.bundle, now: dt.datetime = NOW):
    started = time.perf_counter()
    result = verify(text, bundle, now)
    assert time.perf_counter() - started < 1.0, "hostile input must be refused quickly"
    return result


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_gets_its_outcome_never_valid(name):
    text, outcome = HOSTILE[name]
    result = run(text)
    assert result.outcome is outcome, result.reasons
    assert not result.valid and result.reasons
    if outcome is not Outcome.VALID:
        assert result.claims is None


SCENARIOS = {
    "a key from another scheme": (
        lambda: run(GOOD, other_scheme_bundle()),
        Outcome.UNKNOWN_ISSUER,
    ),
    "a retired key used after its window": (
        lambda: run(WORLD.issue(signed=NOW - 30 * DAY + CLOCK_SKEW + MINUTE), retired_bundle()),
        Outcome.UNKNOWN_ISSUER,
    ),
    "an expired card": (
        lambda: run(WORLD.issue(realistic_claims(expires=NOW.date() - DAY))),
        Outcome.EXPIRED,
    ),
    "a card not yet valid": (
        lambda: run(WORLD.issue(realistic_claims(issued=NOW.date() + DAY), signed=NOW)),
        Outcome.NOT_YET_VALID,
    ),
    "a revoked card with a fresh list": (
        lambda: run(WORLD.issue(realistic_claims(status_index=7))),
        Outcome.REVOKED,
    ),
    "a suspended card": (
        lambda: run(WORLD.issue(realistic_claims(status_index=8))),
        Outcome.SUSPENDED,
    ),
    "a key id swapped for another trusted key's": (
        lambda: run(*swapped_kid_bundle()),
        Outcome.BAD_SIGNATURE,
    ),
    "a stale list": (lambda: run(GOOD, stale_bundle()), Outcome.STALE_STATUS),
    "a revoked card with a stale list": (
        lambda: run(WORLD.issue(realistic_claims(status_index=7)), stale_bundle()),
        Outcome.REVOKED,
    ),
    "no status list": (
        lambda: run(GOOD, VerifierBundle([WORLD.trusted])),
        Outcome.STALE_STATUS,
    ),
    "a phone code after its validity and the skew": (
        lambda: run(WORLD.phone(at=NOW - 5 * MINUTE - CLOCK_SKEW - MINUTE)),
        Outcome.EXPIRED,
    ),
    "a clock more than 5 minutes behind the signer": (
        lambda: run(WORLD.issue(signed=NOW + CLOCK_SKEW + MINUTE)),
        Outcome.NOT_YET_VALID,
    ),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_failure_scenario_gets_its_outcome(name):
    case, outcome = SCENARIOS[name]
    result = case()
    assert result.outcome is outcome, result.reasons
    assert not result.valid and result.reasons


def test_clock_skew_within_5_minutes_is_tolerated():
    assert run(WORLD.issue(signed=NOW + CLOCK_SKEW - MINUTE)).valid
    assert run(WORLD.phone(at=NOW - 5 * MINUTE - CLOCK_SKEW + MINUTE)).valid
    assert run(WORLD.issue(signed=NOW - 30 * DAY + CLOCK_SKEW - MINUTE), retired_bundle()).valid


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    packed = zlib.compress(bytes(10_000_000), 9)
    started = time.perf_counter()
    with pytest.raises(EncodingError, match="inflates to more than"):
        inflate(packed)
    assert time.perf_counter() - started < 0.2  # inflating 10 MB would take far longer
    small = run(bomb(1_000_000))
    assert "inflates to more than" in small.reasons[0]
    assert MAX_INFLATED == 16_384


def test_a_key_that_is_not_on_the_curve_is_refused_when_the_bundle_is_built():
    bad = TrustedKey("k", "ECS", b"\x04" + bytes(64), NOW)
    with pytest.raises(keys.InvalidPublicKey):
        VerifierBundle([bad])


def test_non_text_input_is_malformed_not_an_exception():
    assert run(None).outcome is Outcome.MALFORMED  # type: ignore[arg-type]
    assert run(b"SC1:ABC").outcome is Outcome.MALFORMED  # type: ignore[arg-type]


# --- property-based ------------------------------------------------------------------------

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=600))
@example(b"")
@example(b"\xd2\x84")
@example(b"\x78\x9c")
def test_random_bytes_behind_the_prefix_are_malformed(data):
    result = run(PREFIX + base45.encode(data))
    assert result.outcome is Outcome.MALFORMED and not result.valid


@FAST
@given(st.text(max_size=300))
def test_random_text_is_never_valid(text):
    result = run(text)
    assert result.outcome is Outcome.MALFORMED and not result.valid


@FAST
@given(st.text(alphabet=base45.ALPHABET, max_size=600))
def test_random_base45_is_never_valid(text):
    assert run(PREFIX + text).outcome is Outcome.MALFORMED


@FAST
@given(st.integers(0, len(GOOD) - 1))
def test_any_truncation_is_malformed(cut):
    assert run(GOOD[:cut]).outcome is Outcome.MALFORMED


@FAST
@given(st.integers(len(PREFIX), len(GOOD) - 1), st.sampled_from(base45.ALPHABET))
def test_any_changed_character_is_never_valid(position, character):
    text = GOOD[:position] + character + GOOD[position + 1 :]
    if run(text).valid:
        # Deflate ignores the padding bits of its last byte: a change there may leave the
        # signed bytes as they were, which is still the same, genuine credential.
        assert cose_from_text(text) == cose_from_text(GOOD)


@FAST
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.integers(0, 20), inner),
    max_leaves=30,
))  # fmt: skip
def test_any_signed_cbor_that_is_not_claims_is_malformed(payload):
    assert run(WORLD.sign_map(payload)).outcome is Outcome.MALFORMED


@FAST
@given(st.dictionaries(st.integers(1, 14), st.integers() | st.text() | st.binary()))
def test_signed_claims_with_random_values_are_malformed_or_read_as_they_are(changes):
    changed = wire(changes)
    result = run(WORLD.sign_map(changed))
    try:
        expected = claims_from_map(changed)
    except ClaimsError:
        assert result.outcome is Outcome.MALFORMED
    else:
        assert result.claims in (expected, None)
