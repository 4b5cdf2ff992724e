"""Interoperability (issue 3 proof): a printed card's QR PNG, written by skillcard, is read by
zxing-cpp, decoded with the PyPI ``base45`` package and zlib, and its COSE_Sign1 checked by
pycose with the key the published trust list gives: no skillcard code on the reading side."""

from __future__ import annotations

import base64
import io
import zlib

import base45
import cbor2
import zxingcpp
from PIL import Image
from pycose.headers import KID
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message

from skillcard.adapters.qr import qr_png
from skillcard.services.credentials.credentials import printed_credential


def test_a_printed_qr_is_verified_by_other_peoples_code(client, registry, uow_factory):
    text = printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    png = qr_png(text)

    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.extra["ECLevel"] == "Q" and int(code.extra["Version"]) <= 15
    assert code.text.startswith("SC1:")
    payload = base45.b45decode(code.text[len("SC1:") :])
    if payload[0] == 0x78:  # zlib's first byte; COSE_Sign1 starts 0xD2 (tag 18) or 0x84
        payload = zlib.decompress(payload)
    message = Sign1Message.decode(payload)

    trust_list = client.get("/api/v1/trust-list").json()
    [entry] = [k for k in trust_list["keys"] if k["kid"].encode() == message.phdr[KID]]
    sec1 = base64.urlsafe_b64decode(entry["public_key"] + "=" * (-len(entry["public_key"]) % 4))
    message.key = EC2Key(crv=P256, x=sec1[1:33], y=sec1[33:])
    assert message.verify_signature()
    claims = cbor2.loads(message.payload)
    assert (claims[1], claims[2]) == ("ECS", registry.cards["ann"])
