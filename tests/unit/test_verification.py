"""Issuing and verifying credentials end to end: QR text in, outcome out, no network."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import zlib
from dataclasses import dataclass

import pytest

from skillcard.adapters import base45, cose, keys
from skillcard.adapters.qr import make_qr, qr_png, read_qr
from skillcard.domain.credentials import (
    EXPIRING_SOON,
    CardClaims,
    Outcome,
    claims_to_map,
)
from skillcard.domain.trust import (
    KeyStatus,
    StatusList,
    TrustedKey,
)
from skillcard.errors import InvalidInput
from skillcard.services.credentials.verification import (
    PREFIX,
    VerifierBundle,
    cose_from_text,
    issue_credential,
    phone_claims,
    printed_claims,
    text_from_cose,
    verify,
)

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
DAY, MINUTE = dt.timedelta(days=1), dt.timedelta(minutes=1)
# A JPEG's markers around 1,020 bytes that do not compress, as a real thumbnail's do not.
PORTRAIT = b"\xff\xd8" + random.Random(3).randbytes(1_020) + b"\xff\xd9"


def realistic_claims(**overrides) -> CardClaims:
    values = {
        "scheme": "ECS",
        "number": "ECS12345678",
        "card_type_code": "GOLD-IE",
        "card_type_title": "Installation Electrician",
        "holder_name": "Siobhán Ní Bhriain-Ó Ceallaigh Müller",
        "occupation": "Installation Electrician",
        "qualifications": (
            "Level 3 NVQ Diploma in Electrotechnical Services",
            "AM2 Assessment of Competence",
            "BS 7671:2018+A2:2022 Wiring Regulations",
        ),
        "portrait_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "issued": dt.date(2024, 3, 1),
        "expires": dt.date(2027, 2, 28),
        "status_index": 98_765,
    }
    values.update(overrides)
    return CardClaims(**values)


@dataclass
class World:
    """One scheme (ECS) with a signing key, its trust entry and a fresh status list."""

    signing_key: object
    kid: str
    trusted: TrustedKey
    bundle: VerifierBundle

    def issue(self, card: CardClaims | None = None, *, signed=NOW - DAY, **options) -> str:
        card = card or realistic_claims()
        if card.signed is None:
            card = dataclasses.replace(card, signed=signed)
        return issue_credential(card, self.signing_key, self.kid, **options)

    def phone(self, card: CardClaims | None = None, *, at=NOW - MINUTE) -> str:
        return self.issue(phone_claims(card or realistic_claims(), portrait=PORTRAIT, now=at))

    def sign_map(self, payload: object, kid: str | None = None) -> str:
        """Text for any CBOR payload, properly signed: for claims that are wrong inside."""
        message = cose.sign(cose.dumps(payload), self.signing_key, kid or self.kid)
        return text_from_cose(message)


def make_world(*, revoked=(), suspended=(), listed_at=NOW - dt.timedelta(hours=1)) -> World:
    signing_key = keys.generate_private_key()
    kid = keys.key_id(signing_key)
    trusted = TrustedKey(kid, "ECS", keys.public_key_bytes(signing_key), NOW - 1000 * DAY)
    statuses = StatusList.build(
        scheme="ECS", issued=listed_at, revoked=revoked, suspended=suspended
    )
    return World(signing_key, kid, trusted, VerifierBundle([trusted], [statuses]))


@pytest.fixture
def world() -> World:
    return make_world()


# --- round trips -----------------------------------------------------------------------------


def test_a_printed_credential_verifies_valid_with_its_claims_intact(world):
    text = world.issue()
    assert text.startswith(PREFIX) and text.isascii()
    result = verify(text, world.bundle, NOW)
    assert result.outcome is Outcome.VALID and result.valid
    assert result.claims == dataclasses.replace(realistic_claims(), signed=NOW - DAY)
    assert result.key_id == world.kid
    assert result.claims.portrait is None and result.claims.presentation == "printed"


def test_a_phone_credential_carries_the_portrait_and_a_short_validity(world):
    result = verify(world.phone(), world.bundle, NOW)
    assert result.valid
    assert result.claims.portrait == PORTRAIT
    assert result.claims.valid_until == (NOW - MINUTE).replace(microsecond=0) + 5 * MINUTE


def test_a_phone_credential_times_out_after_its_validity_and_the_skew(world):
    text = world.phone(at=NOW)
    assert verify(text, world.bundle, NOW + 9 * MINUTE).valid  # 5 minutes + 4 of skew
    late = verify(text, world.bundle, NOW + 11 * MINUTE)
    assert late.outcome is Outcome.EXPIRED
    assert "fresh one" in late.reasons[0]


def test_a_phone_code_verifies_until_the_time_its_holder_is_told_and_not_after(world):
    from skillcard.domain.credentials import phone_code_accepted_until

    text = world.phone(at=NOW)
    until = phone_code_accepted_until(verify(text, world.bundle, NOW).claims.valid_until)
    assert verify(text, world.bundle, until).valid
    assert verify(text, world.bundle, until + dt.timedelta(seconds=1)).outcome is Outcome.EXPIRED


def test_printed_claims_drop_what_only_a_phone_shows(world):
    phone = phone_claims(realistic_claims(), portrait=PORTRAIT, now=NOW)
    printed = printed_claims(phone)
    assert printed.portrait is None and printed.valid_until is None and printed.signed is None
    result = verify(world.issue(printed), world.bundle, NOW)
    assert result.valid and result.claims.portrait is None


def test_expiring_within_90_days_warns_beside_valid(world):
    text = world.issue(realistic_claims(expires=NOW.date() + 30 * DAY))
    result = verify(text, world.bundle, NOW)
    assert result.valid and result.warnings == (EXPIRING_SOON,)


def test_issuing_stamps_the_signing_time(world):
    text = issue_credential(realistic_claims(), world.signing_key, world.kid, now=NOW)
    assert verify(text, world.bundle, NOW).claims.signed == NOW


def test_the_payload_is_deflated_only_when_that_makes_it_smaller(world):
    small = realistic_claims(
        card_type_title="Labourer", occupation="", qualifications=(), portrait_sha256=None
    )
    for card in (small, realistic_claims()):
        message = cose.sign(
            cose.dumps(claims_to_map(dataclasses.replace(card, signed=NOW))),
            world.signing_key,
            world.kid,
        )
        deflated = len(zlib.compress(message, 9)) < len(message)
        payload = base45.decode(text_from_cose(message)[len(PREFIX) :])
        assert (payload[0] == 0x78) is deflated
        assert cose_from_text(text_from_cose(message)) == message
    assert text_from_cose(message, compress=False) == PREFIX + base45.encode(message)


def test_surrounding_whitespace_is_accepted_but_not_an_untagged_message(world):
    # Only the tagged form the issuer writes (tests/security/test_verification_edges.py).
    payload = cose.dumps(claims_to_map(dataclasses.replace(realistic_claims(), signed=NOW)))
    tagged = cose.sign(payload, world.signing_key, world.kid)
    untagged = cose.sign(payload, world.signing_key, world.kid, tag=False)
    assert untagged[0] == 0x84
    assert verify(f"  {text_from_cose(tagged)}\n", world.bundle, NOW).valid
    assert verify(text_from_cose(untagged), world.bundle, NOW).outcome is Outcome.MALFORMED


def test_every_key_with_the_key_id_is_tried(world):
    # The same key listed twice: once for another scheme, once for ECS.
    other = dataclasses.replace(world.trusted, scheme="CSCS")
    bundle = VerifierBundle([other, world.trusted], world.bundle.status_lists.values())
    assert verify(world.issue(), bundle, NOW).valid
    impostor = dataclasses.replace(
        world.trusted, public_key=keys.public_key_bytes(keys.generate_private_key())
    )
    bundle = VerifierBundle([impostor, world.trusted], world.bundle.status_lists.values())
    assert verify(world.issue(), bundle, NOW).valid


def test_a_key_rotation_never_breaks_a_valid_card(world):
    rotated_at = NOW - 10 * DAY
    old = dataclasses.replace(world.trusted, valid_until=rotated_at, status=KeyStatus.RETIRED)
    new_key = keys.generate_private_key()
    new = TrustedKey(keys.key_id(new_key), "ECS", keys.public_key_bytes(new_key), rotated_at)
    bundle = VerifierBundle([old, new], world.bundle.status_lists.values())
    before = world.issue(signed=rotated_at - 100 * DAY)
    after = issue_credential(realistic_claims(), new_key, new.kid, now=NOW - DAY)
    assert verify(before, bundle, NOW).valid
    assert verify(after, bundle, NOW).valid


# --- size ------------------------------------------------------------------------------------


def test_a_printed_credential_is_qr_alphanumeric_text_read_back_at_q(world):
    # Untrimmed, these long claims need more than version 15: fitting version 15 is the
    # issuer's trimming (services/credentials/credentials.py), asserted in
    # tests/integration/test_trust.py::test_a_long_accented_name_still_fits_version_15.
    text = world.issue()
    print(f"\nprinted credential: {len(text)} characters")
    assert all(c in base45.ALPHABET for c in text)
    symbol = make_qr(text)
    assert symbol.mode == "alphanumeric" and symbol.error == "Q"
    with pytest.raises(InvalidInput, match="at most 15"):
        make_qr(text, max_version=15)
    [code] = read_qr(qr_png(text, max_version=None))
    assert code.text == text and code.version == symbol.version


def test_a_phone_credential_with_a_1_kb_portrait_stays_within_one_qr_code(world):
    text = world.phone()
    print(f"\nphone credential with a {len(PORTRAIT)}-byte portrait: {len(text)} characters")
    assert len(text) <= 4_296


def test_a_programming_error_answers_malformed_and_is_logged(world, caplog):
    # A status list of the wrong type is our fault, not the card's: the checker still gets an
    # answer, and the log says what broke.
    world.bundle.status_lists["ECS"] = object()
    with caplog.at_level(logging.ERROR, logger="skillcard.services.credentials.verification"):
        result = verify(world.issue(), world.bundle, NOW)
    assert result.outcome is Outcome.MALFORMED
    assert "AttributeError" in caplog.text
    assert caplog.records[-1].exc_info is not None


def test_an_unreadable_card_is_malformed_without_an_error_in_the_log(world, caplog):
    with caplog.at_level(logging.ERROR, logger="skillcard.services.credentials.verification"):
        result = verify(PREFIX + "not base45 at all!", world.bundle, NOW)
    assert result.outcome is Outcome.MALFORMED
    assert caplog.records == []
