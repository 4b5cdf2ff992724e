"""Signing keys, status lists, the trust list and the verifier bundle, on both databases."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json

import pytest

from skillcard.adapters import cose, keys
from skillcard.adapters.qr import make_qr
from skillcard.adapters.signed_json import BadDocument
from skillcard.domain.credentials import Outcome
from skillcard.domain.people import HeldQualification
from skillcard.domain.trust import ListedState
from skillcard.errors import InvalidInput, PermissionDenied
from skillcard.services.credentials import credentials, signing, status_lists, trust
from skillcard.services.credentials.verification import cose_from_text, verify
from skillcard.services.registry import cardholders, cards
from tests.factories import OPERATOR

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)


def qr_for(registry, uow_factory, key: str, now=NOW) -> str:
    return credentials.printed_credential(uow=uow_factory(), number=registry.cards[key], now=now)


def kid_of(text: str) -> str:
    return cose.decode(cose_from_text(text)).kid.decode()


def bundle_now(uow_factory, now=NOW):
    data = json.dumps(trust.verifier_bundle(uow=uow_factory(), now=now))
    return trust.bundle_from_json(data, now), data


def stored_state(uow_factory, registry, key: str) -> ListedState:
    with uow_factory() as uow:
        scheme, number = cards.scheme_for_number(uow, registry.cards[key])
        document = status_lists.published_status_list(uow, scheme.id, NOW)
        index = uow.status_lists.current_entry(uow.cards.by_number(scheme.id, number).id)
    bits = gzip.decompress(base64.b64decode(document["bits"]))
    plane = gzip.decompress(base64.b64decode(document["suspended"]))
    mask = 0x80 >> (index & 7)
    if not bits[index >> 3] & mask:
        return ListedState.ACTIVE
    return ListedState.SUSPENDED if plane[index >> 3] & mask else ListedState.REVOKED


def test_keys_are_made_once_for_every_scheme_and_the_hub(registry, uow_factory):
    with uow_factory() as uow:
        assert signing.ensure_keys(uow, NOW) == 3  # the hub, ECS and CPCS
        assert signing.ensure_keys(uow, NOW) == 0
        uow.commit()
    views = signing.list_keys(uow=uow_factory())
    assert sorted(v.scheme for v in views) == ["CPCS", "ECS", "HUB"]
    assert all(v.status == "current" for v in views)


def test_a_rotation_keeps_old_cards_valid_and_signs_new_ones_with_the_new_key(
    registry, uow_factory
):
    old_text = qr_for(registry, uow_factory, "ann", NOW - HOUR)
    new_key = signing.rotate_key(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", reason="yearly", now=NOW
    )
    new_text = qr_for(registry, uow_factory, "ann", NOW + HOUR)
    assert kid_of(new_text) == new_key.kid != kid_of(old_text)
    later = NOW + 2 * HOUR
    bundle, raw = bundle_now(uow_factory, later)
    assert verify(old_text, bundle, later).outcome is Outcome.VALID
    assert verify(new_text, bundle, later).outcome is Outcome.VALID
    assert credentials.verify_text(uow=uow_factory(), text=old_text, now=later).valid
    listed = {k["kid"]: k for k in json.loads(raw)["trust_list"]["keys"]}
    old = listed[kid_of(old_text)]
    assert old["status"] == "retired" and old["verify_until"] >= (NOW.date().isoformat())


def test_only_hub_admins_or_the_schemes_admin_rotate_its_key(registry, uow_factory):
    signing.list_keys(uow=uow_factory())  # makes the first keys
    rotate = signing.rotate_key
    with pytest.raises(PermissionDenied):
        rotate(uow=uow_factory(), who=registry.principals["cpcs_admin"], scheme_code="ECS",
               reason="x")  # fmt: skip
    with pytest.raises(PermissionDenied):
        rotate(uow=uow_factory(), who=registry.principals["ecs_admin"], scheme_code="HUB",
               reason="x")  # fmt: skip
    with pytest.raises(InvalidInput):
        rotate(uow=uow_factory(), who=OPERATOR, scheme_code="ECS", reason=" ")
    rotate(uow=uow_factory(), who=registry.principals["ecs_admin"], scheme_code="ECS", reason="y")
    with uow_factory() as uow:
        actions = [e.action for e in uow.audit.in_order()]
    assert "key.rotate" in actions and "key.create" in actions


def test_the_bundle_verifies_and_a_tampered_one_is_refused(registry, uow_factory):
    text = qr_for(registry, uow_factory, "cy")
    bundle, raw = bundle_now(uow_factory)
    assert verify(text, bundle, NOW).outcome is Outcome.VALID
    hub = trust.hub_public_key(uow=uow_factory())
    trust.bundle_from_json(raw, NOW, pinned_hub_key=hub)  # the pinned root accepts it
    data = json.loads(raw)
    data["trust_list"]["keys"][0]["valid_from"] = "2001-01-01T00:00:00+00:00"
    with pytest.raises(BadDocument):
        trust.bundle_from_json(json.dumps(data), NOW)
    data = json.loads(raw)
    data["status_lists"][0]["ttl"] = 10**9
    with pytest.raises(BadDocument):
        trust.bundle_from_json(json.dumps(data), NOW)
    data = json.loads(raw)
    data["status_lists"][0]["bits"] = base64.b64encode(gzip.compress(bytes(16384))).decode()
    with pytest.raises(BadDocument):
        trust.bundle_from_json(json.dumps(data), NOW)
    other_hub = keys.public_key_bytes(keys.generate_private_key())
    with pytest.raises(BadDocument):  # signed by a hub key other than the pinned one
        trust.bundle_from_json(raw, NOW, pinned_hub_key=other_hub)
    with pytest.raises(BadDocument):
        trust.bundle_from_json(raw, NOW, pinned_hub_key=b"\x04" + bytes(64))


def test_a_zip_bomb_status_list_is_refused_before_it_inflates(registry, uow_factory):
    _, raw = bundle_now(uow_factory)
    data = json.loads(raw)
    data["status_lists"][0]["bits"] = base64.b64encode(gzip.compress(bytes(50_000_000))).decode()
    with pytest.raises(InvalidInput):
        trust.bundle_from_json(json.dumps(data), NOW)


def test_revoking_flips_the_bit_in_the_same_transaction(registry, uow_factory):
    assert stored_state(uow_factory, registry, "bob") is ListedState.ACTIVE
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="x")
    assert stored_state(uow_factory, registry, "bob") is ListedState.REVOKED
    assert stored_state(uow_factory, registry, "ann") is ListedState.ACTIVE


def test_a_rolled_back_change_leaves_the_list_unchanged(registry, uow_factory):
    stored_state(uow_factory, registry, "ann")  # the list exists
    with uow_factory() as uow:
        scheme, number = cards.scheme_for_number(uow, registry.cards["ann"])
        card = uow.cards.by_number(scheme.id, number)
        card.revoke(reason="never committed")
        status_lists.card_changed(uow, card, None, NOW)
        uow.rollback()
    assert stored_state(uow_factory, registry, "ann") is ListedState.ACTIVE


def test_suspended_then_reinstated(registry, uow_factory):
    text = qr_for(registry, uow_factory, "ann")
    number = registry.cards["ann"]
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=number, reason="audit")
    assert credentials.verify_text(uow=uow_factory(), text=text).outcome is Outcome.SUSPENDED
    bundle, _ = bundle_now(uow_factory)
    assert verify(text, bundle, NOW).outcome is Outcome.SUSPENDED
    cards.reinstate_card(uow=uow_factory(), who=OPERATOR, number=number)
    assert credentials.verify_text(uow=uow_factory(), text=text).outcome is Outcome.VALID


def test_a_replaced_card_counts_as_revoked_and_its_successor_is_valid(registry, uow_factory):
    text = qr_for(registry, uow_factory, "bob")
    view = cards.replace_card(
        uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="lost"
    )
    assert credentials.verify_text(uow=uow_factory(), text=text).outcome is Outcome.REVOKED
    fresh = credentials.printed_credential(uow=uow_factory(), number=view.number)
    assert credentials.verify_text(uow=uow_factory(), text=fresh).valid


def test_a_long_accented_name_still_fits_version_15(registry, uow_factory):
    holder = cardholders.register_cardholder(
        uow=uow_factory(),
        who=OPERATOR,
        given_names="Siobhán Àine Bénédicte Zoë",
        surname="Ní Bhriain-Ó Ceallaigh-Müller-Łukasiewicz",
    )
    with uow_factory() as uow:
        for code in ("NVQ3_ELECTROTECHNICAL", "L3_ELECTROTECHNICAL_APPRENTICESHIP", "AM2S",
                     "L3_ELECTROTECHNICAL_MAINTENANCE", "BS7671_18TH"):  # fmt: skip
            if uow.reference.qualification(code):
                uow.cardholders.add(HeldQualification(holder, code, dt.date(2020, 1, 1), "", True))
        uow.commit()
    view = cards.issue_card(
        uow=uow_factory(), who=OPERATOR, cardholder_id=holder, scheme_code="ECS",
        card_type_code="GOLD",
    )  # fmt: skip
    text = credentials.printed_credential(uow=uow_factory(), number=view.number)
    assert len(text) <= credentials.PRINTED_MAX_CHARS
    assert make_qr(text).version <= 15
    result = credentials.verify_text(uow=uow_factory(), text=text)
    assert result.valid and result.claims.holder_name.startswith("Siobhán")
    assert result.claims.portrait_sha256 is None and result.claims.occupation == ""


def test_status_lists_are_built_lazily_at_least_131072_entries(registry, uow_factory):
    document = trust.status_list(uow=uow_factory(), scheme_code="CPCS")
    assert document["entries"] == 131_072 and document["scheme"] == "CPCS"
    assert {"issued", "ttl", "bits", "suspended", "kid", "signature"} <= document.keys()
