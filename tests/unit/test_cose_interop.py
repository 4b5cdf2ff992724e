"""Interoperability: pycose, written by others, reads and checks what skillcard signs, and
skillcard accepts what pycose signs. pycose 1.1.0 needs cbor2 below 6 (its issue #141), which is
why the project pins cbor2 to 5.x everywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt

import cbor2
import pytest
from pycose.algorithms import Es256
from pycose.headers import KID, Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message

from skillcard.adapters import cose, keys
from skillcard.domain.credentials import claims_to_map
from skillcard.services.credentials.verification import (
    cose_from_text,
    text_from_cose,
    verify,
)
from tests.unit.test_verification import NOW, make_world, realistic_claims


def pycose_public_key(world) -> EC2Key:
    sec1 = keys.public_key_bytes(world.signing_key)
    return EC2Key(crv=P256, x=sec1[1:33], y=sec1[33:])


@pytest.mark.parametrize("presentation", ["printed", "phone"])
def test_pycose_verifies_a_skillcard_credential(presentation):
    world = make_world()
    text = world.issue() if presentation == "printed" else world.phone()
    message = Sign1Message.decode(cose_from_text(text))
    message.key = pycose_public_key(world)
    assert message.verify_signature()
    assert message.phdr[Algorithm] is Es256
    assert message.phdr[KID] == world.kid.encode()
    claims = cbor2.loads(message.payload)
    assert claims[1] == "ECS" and claims[5] == realistic_claims().holder_name


def test_pycose_rejects_a_skillcard_credential_under_another_key():
    world, other = make_world(), make_world()
    message = Sign1Message.decode(cose_from_text(world.issue()))
    message.key = pycose_public_key(other)
    assert not message.verify_signature()


def test_skillcard_verifies_a_credential_signed_by_pycose():
    world = make_world()
    numbers = world.signing_key.private_numbers()
    signing_key = EC2Key(
        crv=P256,
        x=numbers.public_numbers.x.to_bytes(32, "big"),
        y=numbers.public_numbers.y.to_bytes(32, "big"),
        d=numbers.private_value.to_bytes(32, "big"),
    )
    card = dataclasses.replace(realistic_claims(), signed=NOW - dt.timedelta(days=1))
    message = Sign1Message(
        phdr={Algorithm: Es256, KID: world.kid.encode()},
        payload=cbor2.dumps(claims_to_map(card)),
    )
    message.key = signing_key
    # pycose leaves half its signatures in high-S form, which skillcard refuses (one valid
    # form per signature); the low-S twin of the same signature is what an issuer must send.
    encoded = cbor2.loads(message.encode())
    assert encoded.tag == 18
    protected, unprotected, payload, signature = encoded.value
    s = int.from_bytes(signature[32:], "big")
    low_s = min(s, cose.P256_ORDER - s).to_bytes(32, "big")
    tagged = cbor2.CBORTag(18, [protected, unprotected, payload, signature[:32] + low_s])
    result = verify(text_from_cose(cbor2.dumps(tagged)), world.bundle, NOW)
    assert result.valid, result.reasons
    assert result.claims == card
