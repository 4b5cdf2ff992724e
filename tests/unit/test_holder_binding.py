"""The holder-bound phone presentation (issue 18, item 1): its format, and each refusal with
its outcome word (domain/holder_binding.py, adapters/presentation.py). No database."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import random

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters import base45, cose, keys, presentation
from skillcard.adapters.qr import make_qr
from skillcard.domain.credentials import CardClaims, ClaimsError, Outcome
from skillcard.domain.holder_binding import (
    PRESENTATION_PREFIX,
    DeviceCredential,
    device_credential_from_map,
    device_credential_map,
    device_period_end,
)
from skillcard.domain.trust import ListedState, StatusList, TrustedKey, set_entry
from skillcard.errors import InvalidInput
from skillcard.services.credentials.verification import (
    VerifierBundle,
    issue_device_credential,
    presentation_text,
    text_from_cose,
    verify,
)

NOW = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)
PORTRAIT = b"\xff\xd8" + random.Random(5).randbytes(1_020) + b"\xff\xd9"  # 1 KB, incompressible
SCHEME = keys.generate_private_key()
KID = keys.key_id(SCHEME)


def point(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def claims(**overrides) -> CardClaims:
    values = dict(
        scheme="ECS", number="ECS12345678", card_type_code="GOLD-IE",
        card_type_title="Installation Electrician", holder_name="Siobhán Ní Bhriain-Ó Ceallaigh",
        occupation="", qualifications=("AM2", "BS7671", "NVQ3-ETS", "ECS-HS"),
        portrait_sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        issued=dt.date(2024, 3, 1), expires=dt.date(2029, 2, 28), status_index=4242,
        portrait=PORTRAIT, valid_until=NOW + dt.timedelta(days=30), signed=NOW,
    )  # fmt: skip
    values.update(overrides)
    return CardClaims(**values)


PHONE = ec.generate_private_key(ec.SECP256R1())
CREDENTIAL = issue_device_credential(DeviceCredential(claims(), point(PHONE)), SCHEME, KID)


def bundle(revoked: int | None = None) -> VerifierBundle:
    bits, plane = bytearray(131_072 // 8), bytearray(131_072 // 8)
    if revoked is not None:
        set_entry(bits, plane, revoked, ListedState.REVOKED)
    key = TrustedKey(KID, "ECS", keys.public_key_bytes(SCHEME), NOW - dt.timedelta(days=400))
    return VerifierBundle([key], [StatusList("ECS", NOW, bytes(bits), 86_400)])


def shown(at: dt.datetime = NOW, phone=PHONE, credential: bytes = CREDENTIAL) -> str:
    return presentation_text(presentation.sign(credential, int(at.timestamp()), phone))


def test_a_fresh_presentation_is_valid_with_the_cards_claims_and_portrait():
    result = verify(shown(), bundle(), NOW)
    assert result.outcome is Outcome.VALID and result.key_id == KID
    assert result.claims.number == "ECS12345678" and result.claims.portrait == PORTRAIT
    assert result.claims.status_index == 4242  # the device's own entry


def test_the_device_credential_round_trips_and_carries_no_card_status_index():
    device = DeviceCredential(claims(), point(PHONE))
    raw = device_credential_map(device)
    assert 11 not in raw and raw[17] == 4242 and raw[15][1] == 2
    assert device_credential_from_map(raw) == device


def test_a_copied_device_credential_shown_as_a_card_code_is_malformed_not_valid():
    # Without the phone's key, the credential alone passes nowhere (claim 11 is missing).
    assert verify(text_from_cose(CREDENTIAL), bundle(), NOW).outcome is Outcome.MALFORMED


def test_a_presentation_signed_by_another_phones_key_is_bad_signature():
    other = ec.generate_private_key(ec.SECP256R1())
    result = verify(shown(phone=other), bundle(), NOW)
    assert result.outcome is Outcome.BAD_SIGNATURE and result.claims is None
    assert "not signed by the phone" in result.reasons[0]


def test_a_time_changed_after_signing_is_bad_signature():
    envelope = presentation.sign(CREDENTIAL, int(NOW.timestamp()), PHONE)
    parts = presentation.decode(envelope)
    moved = presentation.encode(parts.credential, parts.time + 120, parts.signature)
    result = verify(presentation_text(moved), bundle(), NOW + dt.timedelta(seconds=120))
    assert result.outcome is Outcome.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("age", "word"),
    [(0, "valid"), (59, "valid"), (-59, "valid"), (61, "expired"), (120, "expired"),
     (-61, "not_yet_valid"), (-3600, "not_yet_valid")],
)  # fmt: skip
def test_a_presentation_outside_the_window_is_refused(age, word):
    made = NOW - dt.timedelta(seconds=age)
    assert verify(shown(at=made), bundle(), NOW).outcome.value == word


def test_the_window_is_a_setting_and_the_clock_skew_is_not_added_to_it():
    made = NOW - dt.timedelta(seconds=100)
    assert verify(shown(at=made), bundle(), NOW, dt.timedelta(seconds=120)).valid
    assert not verify(shown(at=made), bundle(), NOW, dt.timedelta(seconds=90)).valid


def test_a_device_credential_past_its_period_is_expired():
    late = NOW + dt.timedelta(days=31)
    result = verify(shown(at=late), bundle(), late)
    assert result.outcome is Outcome.EXPIRED and "ran out" in result.reasons[0]


def test_a_revoked_device_entry_is_revoked():
    result = verify(shown(), bundle(revoked=4242), NOW)
    assert result.outcome is Outcome.REVOKED and not result.valid


def test_a_device_credential_signed_by_an_unknown_key_is_unknown_issuer():
    stranger = keys.generate_private_key()
    forged = issue_device_credential(
        DeviceCredential(claims(), point(PHONE)), stranger, keys.key_id(stranger)
    )
    assert verify(shown(credential=forged), bundle(), NOW).outcome is Outcome.UNKNOWN_ISSUER


def test_a_device_credential_with_its_key_swapped_is_bad_signature():
    message = cose.decode(CREDENTIAL)
    raw = cose.loads(message.payload)
    other = ec.generate_private_key(ec.SECP256R1())
    raw[15] = {1: 2, -1: 1, -2: point(other)[1:33], -3: point(other)[33:]}
    # new claims under the scheme's old signature: a forgery
    swapped = cbor2.dumps(
        cbor2.CBORTag(18, [message.protected, {}, cbor2.dumps(raw), message.signature])
    )
    result = verify(shown(credential=swapped, phone=other), bundle(), NOW)
    assert result.outcome is Outcome.BAD_SIGNATURE


@pytest.mark.parametrize(
    "text",
    [
        PRESENTATION_PREFIX,
        PRESENTATION_PREFIX + "%%%",
        PRESENTATION_PREFIX + base45.encode(b"\x82\x40\x00"),
        PRESENTATION_PREFIX + base45.encode(cose.dumps([CREDENTIAL, -5, b"\0" * 64])),
        PRESENTATION_PREFIX + base45.encode(cose.dumps([CREDENTIAL, 1, b"\0" * 63])),
        PRESENTATION_PREFIX + base45.encode(cose.dumps([CREDENTIAL, 1, b"\0" * 64]) + b"\0"),
        PRESENTATION_PREFIX + base45.encode(cose.dumps([b"junk", 1, b"\0" * 64])),
        PRESENTATION_PREFIX + base45.encode(cose.dumps([CREDENTIAL, 10**13, b"\0" * 64])),
    ],
)
def test_unreadable_presentations_are_malformed(text):
    assert verify(text, bundle(), NOW).outcome is Outcome.MALFORMED


def test_a_device_credential_without_a_period_or_with_a_bad_key_cannot_be_made():
    with pytest.raises(ClaimsError):
        DeviceCredential(claims(valid_until=None), point(PHONE))
    with pytest.raises(ClaimsError):
        DeviceCredential(claims(), b"\x02" + b"\0" * 32)


def test_the_period_is_capped_at_the_last_second_of_the_cards_expiry_day():
    assert device_period_end(NOW, dt.date(2026, 12, 10), 30) == dt.datetime(
        2026, 12, 10, 23, 59, 59, tzinfo=dt.UTC
    )
    assert device_period_end(NOW, dt.date(2030, 1, 1), 7) == NOW + dt.timedelta(days=7)
    assert device_period_end(NOW, dt.date(2026, 12, 5), 7) is None


def test_a_jwk_with_a_private_part_or_off_the_curve_is_refused():
    n = PHONE.public_key().public_numbers()

    def enc(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(32)).rstrip(b"=").decode()

    good = {"kty": "EC", "crv": "P-256", "x": enc(n.x), "y": enc(n.y)}
    assert presentation.public_key_from_jwk(good) == point(PHONE)
    for bad in ({**good, "d": "AA"}, {**good, "crv": "P-384"}, {**good, "y": enc(n.y ^ 1)}, []):
        with pytest.raises(InvalidInput):
            presentation.public_key_from_jwk(bad)


def test_the_worst_case_code_fits_version_29_at_level_l():
    """A 1 KB portrait, long texts and four qualifications: the largest presentation (a
    real thumbnail of about 700 bytes gives version 24 or 25)."""
    big = issue_device_credential(
        DeviceCredential(claims(holder_name="W" * 60, card_type_title="T" * 80), point(PHONE)),
        SCHEME, KID,
    )  # fmt: skip
    text = shown(credential=big)
    assert set(text[4:]) <= set(base45.ALPHABET)
    assert int(make_qr(text, error="l").version) <= 29
    assert dataclasses.replace(claims(), portrait=None)  # without a photo it is far smaller
