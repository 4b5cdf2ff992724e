"""Holder-bound phone cards (issue 18, item 1): a phone enrols its key for a card, gets a
device credential with its own status list entry; the holder or an admin revokes it; a card's
own revocation or suspension reaches it; re-enrolment replaces. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters import presentation
from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import credentials, devices
from skillcard.services.credentials.verification import presentation_text
from skillcard.services.registry import cards, photos


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Phone:
    """A phone as holder-card.js is one: a P-256 key, and the credential it was given."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential = b""

    @property
    def jwk(self) -> dict:
        n = self.key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64(n.x.to_bytes(32)),
            "y": _b64(n.y.to_bytes(32)),
        }

    def show(self, at: dt.datetime) -> str:
        return presentation_text(presentation.sign(self.credential, int(at.timestamp()), self.key))


def enrol(uow_factory, store, registry, phone: Phone, holder: str = "ann", **kw):
    done = devices.enrol_device(
        uow=uow_factory(), store=store, who=registry.principals[holder],
        number=registry.cards[holder], jwk=phone.jwk, **kw,
    )  # fmt: skip
    phone.credential = done.credential
    return done


def outcome(uow_factory, text: str, at: dt.datetime) -> str:
    return credentials.verify_text(uow=uow_factory(), text=text, now=at).outcome.value


@pytest.fixture
def store(tmp_path):
    return PhotoStore(tmp_path)


def test_an_enrolled_phone_presents_its_card_offline_with_its_portrait(
    registry, uow_factory, store
):
    photos.set_photo(
        uow=uow_factory(), store=store, who=registry.principals["hub"],
        cardholder_id=registry.holders["ann"], data=drawn_portrait("Ann"),
    )  # fmt: skip
    phone, now = Phone(), utcnow()
    done = enrol(uow_factory, store, registry, phone, days=7)
    assert done.portrait and len(done.portrait) <= 1024 and done.number == registry.cards["ann"]
    assert dt.timedelta(days=7) - (done.valid_until - now) < dt.timedelta(seconds=5)
    result = credentials.verify_text(uow=uow_factory(), text=phone.show(now), now=now)
    assert result.outcome.value == "valid" and result.claims.portrait == done.portrait
    assert outcome(uow_factory, phone.show(now), now + dt.timedelta(minutes=2)) == "expired"
    [device] = devices.card_devices(
        uow=uow_factory(), who=registry.principals["ecs_admin"], number=registry.cards["ann"]
    )
    assert device.id == done.device_id and not device.revoked


def test_the_period_never_runs_past_the_cards_expiry(registry, uow_factory, store):
    with uow_factory() as uow:
        expires = uow.cards.by_number(
            uow.schemes.by_code("ECS").id, registry.cards["ann"]
        ).expires_on
    done = enrol(uow_factory, store, registry, Phone(), days=366 * 10)
    assert done.valid_until.date() == expires


def test_the_holder_revokes_a_lost_phone_and_a_new_one_enrols(registry, uow_factory, store):
    lost, now = Phone(), utcnow()
    first = enrol(uow_factory, store, registry, lost)
    devices.revoke_device(
        uow=uow_factory(), who=registry.principals["ann"], device_id=first.device_id,
        reason="left on the bus",
    )  # fmt: skip
    assert outcome(uow_factory, lost.show(now), now) == "revoked"
    new = Phone()
    enrol(uow_factory, store, registry, new)
    assert outcome(uow_factory, new.show(now), now) == "valid"
    assert outcome(uow_factory, lost.show(now), now) == "revoked"
    with pytest.raises(Conflict):
        devices.revoke_device(
            uow=uow_factory(), who=registry.principals["hub"], device_id=first.device_id, reason="x"
        )


def test_re_enrolment_replaces_the_earlier_phone(registry, uow_factory, store):
    old, new, now = Phone(), Phone(), utcnow()
    enrol(uow_factory, store, registry, old)
    enrol(uow_factory, store, registry, new)
    assert outcome(uow_factory, old.show(now), now) == "revoked"
    assert outcome(uow_factory, new.show(now), now) == "valid"
    listed = devices.card_devices(
        uow=uow_factory(), who=registry.principals["ann"], number=registry.cards["ann"]
    )
    assert [d.revoked for d in listed] == [False, True]


def test_an_admin_revokes_a_phone_and_others_may_not(registry, uow_factory, store):
    phone, now = Phone(), utcnow()
    done = enrol(uow_factory, store, registry, phone)
    for who in ("bob", "cpcs_admin"):
        with pytest.raises(NotFound):
            devices.revoke_device(
                uow=uow_factory(), who=registry.principals[who], device_id=done.device_id,
                reason="not theirs",
            )  # fmt: skip
    assert outcome(uow_factory, phone.show(now), now) == "valid"
    devices.revoke_device(
        uow=uow_factory(), who=registry.principals["ecs_admin"], device_id=done.device_id,
        reason="reported stolen",
    )  # fmt: skip
    assert outcome(uow_factory, phone.show(now), now) == "revoked"


def test_the_cards_suspension_reaches_the_phone_and_lifting_it_leaves_revoked_phones_revoked(
    registry, uow_factory, store
):
    kept, lost, now = Phone(), Phone(), utcnow()
    first = enrol(uow_factory, store, registry, lost)
    devices.revoke_device(
        uow=uow_factory(), who=registry.principals["ann"], device_id=first.device_id, reason="lost"
    )
    enrol(uow_factory, store, registry, kept)
    hub, number = registry.principals["hub"], registry.cards["ann"]
    cards.suspend_card(uow=uow_factory(), who=hub, number=number, reason="under review")
    assert outcome(uow_factory, kept.show(now), now) == "suspended"
    cards.reinstate_card(uow=uow_factory(), who=hub, number=number, reason="cleared")
    assert outcome(uow_factory, kept.show(now), now) == "valid"
    assert outcome(uow_factory, lost.show(now), now) == "revoked"


@pytest.mark.parametrize(
    ("jwk", "problem"),
    [
        ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}, "private"),
        ({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}, "P-256"),
        ({"kty": "RSA", "n": "AA", "e": "AQAB"}, "P-256"),
        ({"kty": "EC", "crv": "P-256", "x": _b64(b"\1" * 32), "y": _b64(b"\2" * 32)}, "curve"),
        ("not a key", "JWK"),
    ],
)
def test_a_bad_key_is_refused_and_nothing_is_stored(registry, uow_factory, store, jwk, problem):
    with pytest.raises(InvalidInput, match=problem):
        devices.enrol_device(
            uow=uow_factory(), store=store, who=registry.principals["ann"],
            number=registry.cards["ann"], jwk=jwk,
        )  # fmt: skip
    assert (
        devices.card_devices(
            uow=uow_factory(), who=registry.principals["ann"], number=registry.cards["ann"]
        )
        == []
    )


def test_only_the_holder_enrols_and_only_an_active_card(registry, uow_factory, store):
    with pytest.raises(PermissionDenied):
        devices.enrol_device(
            uow=uow_factory(), store=store, who=registry.principals["hub"],
            number=registry.cards["ann"], jwk=Phone().jwk,
        )  # fmt: skip
    with pytest.raises(NotFound):
        devices.enrol_device(
            uow=uow_factory(), store=store, who=registry.principals["bob"],
            number=registry.cards["ann"], jwk=Phone().jwk,
        )  # fmt: skip
    cards.suspend_card(
        uow=uow_factory(), who=registry.principals["hub"], number=registry.cards["ann"],
        reason="under review",
    )  # fmt: skip
    with pytest.raises(Conflict):
        enrol(uow_factory, store, registry, Phone())
