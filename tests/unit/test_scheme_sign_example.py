"""docs/examples/scheme_sign.py, the way a scheme makes credentials with its own key (issue 17
item 3): what it writes is what the hub's verifier and pycose read, signature for signature."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
from pathlib import Path

import cbor2
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message

from skillcard.adapters import base45, cose, keys
from skillcard.domain.credentials import Outcome, claims_to_map
from skillcard.domain.trust import StatusList, TrustedKey
from skillcard.services.credentials.verification import VerifierBundle, cose_from_text, verify
from tests.unit.test_verification import NOW, realistic_claims

SCRIPT = Path(__file__).parents[2] / "docs" / "examples" / "scheme_sign.py"


def example():
    spec = importlib.util.spec_from_file_location("scheme_sign", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_examples_credentials_verify_and_read_alike_in_pycose():
    ex = example()
    private = keys.generate_private_key()
    jwk = ex.public_jwk(private.public_key())
    sec1, named = keys.parse_public_key(json.dumps(jwk))  # as the hub registers it
    assert named == ex.key_id(private.public_key()) == keys.key_id(sec1)
    bundle = VerifierBundle(
        [TrustedKey(named, "ECS", sec1, NOW - dt.timedelta(days=30))],
        [StatusList.build(scheme="ECS", issued=NOW - dt.timedelta(hours=1))],
    )
    claims = dataclasses.replace(realistic_claims(), signed=NOW - dt.timedelta(days=1))
    for _ in range(8):  # about half the raw signatures are high-S: the example must fold them
        text = ex.credential_text(claims_to_map(claims), private, named)
        assert verify(text, bundle, NOW).outcome is Outcome.VALID
        message = cose_from_text(text)
        assert cose.is_low_s(cose.decode(message).signature)
    pycose = Sign1Message.decode(message)
    pycose.key = EC2Key(crv=P256, x=sec1[1:33], y=sec1[33:])
    assert pycose.verify_signature() and cbor2.loads(pycose.payload)[1] == "ECS"
    for data in (b"", b"\x00", b"\xff\xfe\x01", bytes(range(256))):  # its own Base45
        assert ex.base45(data) == base45.encode(data)
