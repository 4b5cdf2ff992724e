"""Keys a scheme holds itself, on both databases: registering, the trust list and the bundle
that carry them, the hub signing none of such a scheme's cards, retiring (issue 17 item 3)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import cbor2
import pytest

from skillcard.adapters import keys
from skillcard.adapters.cose import sign
from skillcard.domain.credentials import Outcome
from skillcard.errors import Conflict, InvalidInput, PermissionDenied
from skillcard.services.credentials import credentials, scheme_keys, signing, trust
from skillcard.services.credentials.signing import SchemeHoldsOwnKeys
from skillcard.services.credentials.verification import text_from_cose, verify
from tests.factories import OPERATOR

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)  # taken again as each test starts
YEAR = dt.timedelta(days=365)


@pytest.fixture(autouse=True)
def _now():
    """Each test's NOW is when it starts, after its registry's keys were made: under two
    processes a test may run many minutes after this module was imported."""
    global NOW
    NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def register(uow_factory, who=OPERATOR, scheme="ECS", key=None, **window):
    key = key or keys.generate_private_key()
    jwk = json.dumps(keys.public_key_jwk(key))
    window.setdefault("valid_until", NOW + YEAR)
    stored = scheme_keys.register_key(
        uow=uow_factory(), who=who, scheme_code=scheme, public_key=jwk, now=NOW, **window
    )
    return key, stored


def scheme_signed(uow_factory, registry, holder: str, key, *, signed=None, changes=None) -> str:
    """What the scheme's own system makes from the hub's claims (see docs/scheme-keys.md)."""
    answer = scheme_keys.card_claims(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", number=registry.cards[holder], now=NOW
    )
    claims = cbor2.loads(base64.urlsafe_b64decode(answer["cbor"] + "=="))
    claims |= {12: int((signed or NOW).timestamp()), **(changes or {})}
    return text_from_cose(sign(cbor2.dumps(claims), key, keys.key_id(key)))


def bundle_at(uow_factory, now=None):
    now = now or NOW
    raw = json.dumps(trust.verifier_bundle(uow=uow_factory(), now=now))
    return trust.bundle_from_json(raw, now), json.loads(raw)


def test_a_registered_key_is_listed_as_the_schemes_and_its_cards_verify(registry, uow_factory):
    hub_signed = credentials.printed_credential(
        uow=uow_factory(), number=registry.cards["ann"], now=NOW
    )  # signed at NOW: a test may run minutes after NOW was taken (two processes)
    key, stored = register(uow_factory, who=registry.principals["ecs_admin"])
    assert stored.private_key_encrypted is None and stored.holder == "scheme"
    bundle, raw = bundle_at(uow_factory)
    listed = {k["kid"]: k for k in raw["trust_list"]["keys"]}
    assert listed[stored.kid]["holder"] == "scheme" and listed[stored.kid]["scheme"] == "ECS"
    assert listed[stored.kid]["valid_until"] == (NOW + YEAR).isoformat()
    assert raw["trust_list"]["issued"] == NOW.isoformat()  # not the window's end, a year out
    ecs = [k for k in listed.values() if k["scheme"] == "ECS" and k["holder"] == "hub"]
    assert [k["status"] for k in ecs] == ["retired"]  # the hub signs ECS's cards no more
    ecs_list = next(s for s in raw["status_lists"] if s["scheme"] == "ECS")
    assert ecs_list["kid"] == raw["trust_list"]["kid"]  # its status list: signed by the hub

    text = scheme_signed(uow_factory, registry, "ann", key)
    result = verify(text, bundle, NOW)
    assert (result.outcome, result.key_id) == (Outcome.VALID, stored.kid)
    assert credentials.verify_text(uow=uow_factory(), text=text, now=NOW).valid  # the API's
    assert verify(hub_signed, bundle, NOW).outcome is Outcome.VALID  # what went out before
    other = scheme_signed(uow_factory, registry, "ann", key, changes={1: "CPCS"})
    assert verify(other, bundle, NOW).outcome is Outcome.UNKNOWN_ISSUER
    early = scheme_signed(uow_factory, registry, "ann", key, signed=NOW - dt.timedelta(days=2))
    assert verify(early, bundle, NOW).outcome is Outcome.UNKNOWN_ISSUER  # before its window

    with pytest.raises(SchemeHoldsOwnKeys):
        credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    with pytest.raises(SchemeHoldsOwnKeys):
        signing.rotate_key(uow=uow_factory(), who=OPERATOR, scheme_code="ECS", reason="x")
    credentials.printed_credential(uow=uow_factory(), number=registry.cards["cy"])  # CPCS: hub


def test_a_scheme_rotates_with_overlapping_windows_and_retires_the_old_key(registry, uow_factory):
    old, first = register(uow_factory)
    _, second = register(uow_factory, valid_from=NOW + dt.timedelta(days=300))
    assert {first.status, second.status} == {"current"}  # two current keys of one scheme
    before = scheme_signed(uow_factory, registry, "bob", old)
    retired = scheme_keys.retire_key(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", kid=first.kid, reason="rotated",
        now=NOW + dt.timedelta(hours=1),
    )  # fmt: skip
    assert retired.status == "retired" and retired.valid_until == NOW + dt.timedelta(hours=1)
    later = NOW + dt.timedelta(hours=2)
    bundle, _ = bundle_at(uow_factory, later)
    assert verify(before, bundle, later).outcome is Outcome.VALID  # signed in its window
    after = scheme_signed(uow_factory, registry, "bob", old, signed=later)
    assert verify(after, bundle, later).outcome is Outcome.UNKNOWN_ISSUER
    with pytest.raises(Conflict, match="already retired"):
        scheme_keys.retire_key(uow=uow_factory(), who=OPERATOR, scheme_code="ECS",
                               kid=first.kid, reason="again")  # fmt: skip
    with uow_factory() as uow:
        actions = [e.action for e in uow.audit.in_order()]
    assert actions.count("key.register") == 2 and "key.retire" in actions


def test_registering_is_refused_for_other_schemes_repeats_and_private_keys(registry, uow_factory):
    key = keys.generate_private_key()
    with pytest.raises(PermissionDenied):
        register(uow_factory, who=registry.principals["cpcs_admin"], key=key)
    with pytest.raises(PermissionDenied):
        register(uow_factory, who=registry.principals["ann"], key=key)
    register(uow_factory, key=key)
    with pytest.raises(Conflict, match="already registered"):
        register(uow_factory, key=key, scheme="CPCS")  # one key, one scheme
    private = json.dumps(keys.public_key_jwk(key) | {"d": "AAAA"})
    other = json.dumps(keys.public_key_jwk(keys.generate_private_key()) | {"kid": "mine-1"})
    for text, says in ((private, "private key"), (other, "this key's id is")):
        with pytest.raises(InvalidInput, match=says):
            scheme_keys.register_key(uow=uow_factory(), who=OPERATOR, scheme_code="CPCS",
                                     public_key=text, valid_until=NOW + YEAR)  # fmt: skip
    with uow_factory() as uow:
        stored = uow.signing_keys.all()
        events = [json.dumps(e.detail) for e in uow.audit.in_order()]
    assert [k.kid for k in stored if k.holder == "scheme"] == [keys.key_id(key)]
    assert not any("AAAA" in e for e in events)


def test_the_claims_a_scheme_signs_are_the_printed_cards_and_only_its_admin_reads_them(
    registry, uow_factory
):
    number = registry.cards["ann"]
    answer = scheme_keys.card_claims(
        uow=uow_factory(), who=registry.principals["ecs_admin"], scheme_code="ECS",
        number=number, now=NOW,
    )  # fmt: skip
    claims = cbor2.loads(base64.urlsafe_b64decode(answer["cbor"] + "=="))
    assert claims[2] == answer["claims"]["number"] == number
    assert claims[11] == answer["claims"]["status_index"]
    assert answer["keys"]["status_index"] == 11 and 8 not in claims  # no portrait hash
    again = scheme_keys.card_claims(uow=uow_factory(), who=OPERATOR, scheme_code="ECS",
                                    number=number, now=NOW)  # fmt: skip
    assert again["claims"]["status_index"] == answer["claims"]["status_index"]  # one entry
    with pytest.raises(PermissionDenied):
        scheme_keys.card_claims(uow=uow_factory(), who=registry.principals["cpcs_admin"],
                                scheme_code="ECS", number=number)  # fmt: skip


def test_a_scheme_cannot_crowd_the_trust_list(registry, uow_factory, monkeypatch):
    monkeypatch.setattr(scheme_keys, "MAX_LISTED_KEYS", 2)
    register(uow_factory)
    register(uow_factory)
    with pytest.raises(Conflict, match="at most 2 keys"):
        register(uow_factory)
    register(uow_factory, scheme="CPCS")  # another scheme's room is its own
