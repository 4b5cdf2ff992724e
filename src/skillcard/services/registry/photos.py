"""Cardholders' photos and the two presentations of a card that show them.

- :func:`set_photo`: a scheme admin (of a scheme whose card the holder holds) or a hub admin
  gives a cardholder a photo; audited as ``cardholder.photo``. The file of the photo it
  replaces is deleted once nobody has it (:mod:`skillcard.services.registry.photo_files`).
- :func:`photo_bytes`: a stored photo, only for the holder themselves or an admin who may see
  them; anyone else is told there is no such photo.
- :func:`photo_token` / :func:`photo_by_token`: a short-lived signed link to one photo, which
  a check's answer carries so that whoever checked the card sees its holder's face, without
  anyone being able to browse photos by their hash.
- :func:`printed_card`: what the printable card shows (front and the printed QR text).
- :func:`phone_card` / :func:`phone_credential`: the cardholder's phone presentation, a QR
  with the portrait thumbnail and a validity of minutes, signed afresh on every call.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from skillcard.adapters.photos import is_sha256
from skillcard.domain.accounts import Principal, Role, require
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import CardStatus
from skillcard.domain.credentials import phone_code_accepted_until
from skillcard.errors import Conflict, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.credentials.credentials import printed_claims_for, printed_credential
from skillcard.services.credentials.signing import SchemeHoldsOwnKeys, current_signer
from skillcard.services.credentials.verification import (
    PHONE_LIFETIME,
    issue_credential,
    phone_claims,
)
from skillcard.services.federation.change_feed import publish_holder_changed
from skillcard.services.ports.files import PhotoFiles
from skillcard.services.registry import photo_files
from skillcard.services.registry.cards import CardView, _load_card, describe
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


def _may_admin_photo(who: Principal, card_scheme_ids: set[int]) -> bool:
    if who.is_hub_admin:
        return True
    return who.role == Role.SCHEME_ADMIN and who.scheme_id in card_scheme_ids


def _may_see_photo(who: Principal, cardholder_id: int, card_scheme_ids: set[int]) -> bool:
    if who.role == Role.CARDHOLDER:
        return who.cardholder_id == cardholder_id
    return _may_admin_photo(who, card_scheme_ids)


def set_photo(
    *,
    uow: AbstractUnitOfWork,
    store: PhotoFiles,
    who: Principal,
    cardholder_id: int,
    data: bytes,
    now: dt.datetime | None = None,
) -> str:
    """Check, store and attach a cardholder's photo; its SHA-256. A refused file
    (PhotoRefused, 422) leaves nothing stored and nothing changed. Once committed, the photo
    it replaced is deleted from disk unless another cardholder has it too."""
    require(who.is_hub_admin or who.role == Role.SCHEME_ADMIN, "upload cardholders' photos")
    now = now or utcnow()
    with uow:
        holder = uow.cardholders.get(cardholder_id)
        schemes = uow.cards.scheme_ids_of_cardholder(cardholder_id) if holder else set()
        if holder is None or not _may_admin_photo(who, schemes):
            raise NotFound(f"no cardholder {cardholder_id} that you can see")
        digest = store.put(data)  # raises before anything is written if the file is refused
        previous = holder.photo_sha256
        holder.photo_sha256 = digest
        record(
            uow,
            who,
            "cardholder.photo",
            "cardholder",
            holder.id,
            now=now,
            detail={"sha256": digest, "previous": previous},
        )
        if previous != digest:  # last: it holds the feed's turn
            publish_holder_changed(uow, holder.id, now, ["photo"])
        uow.commit()
    if not store.has(digest):
        # Another request discarded this very file (its last user moved on) before our
        # commit made it ours again: write it back. See photo_files for the whole race.
        store.put(data)
    if previous and previous != digest:
        photo_files.discard_if_unused(uow=uow, store=store, sha256=previous)
    return digest


def photo_bytes(
    *, uow: AbstractUnitOfWork, store: PhotoFiles, who: Principal, sha256: str
) -> bytes:
    """The stored JPEG, if ``who`` may see a cardholder whose photo it is; else NotFound."""
    missing = NotFound("no photo that you can see")
    if not is_sha256(sha256):
        raise missing
    with uow:
        if who.role == Role.CARDHOLDER:
            holder = uow.cardholders.get(who.cardholder_id) if who.cardholder_id else None
            allowed = holder is not None and holder.photo_sha256 == sha256
        else:
            allowed = any(
                _may_see_photo(who, h.id, uow.cards.scheme_ids_of_cardholder(h.id))
                for h in uow.cardholders.with_photo(sha256)
            )
    data = store.get(sha256) if allowed else None
    if data is None:
        raise missing
    return data


PHOTO_LINK_LIFETIME = dt.timedelta(minutes=10)
_TOKEN_PURPOSE = b"skillcard photo link v1\x00"


def _token_mac(secret: str, sha256: str, expires: int) -> bytes:
    message = _TOKEN_PURPOSE + sha256.encode() + b"\x00" + str(expires).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def photo_token(
    *,
    secret: str,
    sha256: str,
    now: dt.datetime | None = None,
    lifetime: dt.timedelta = PHOTO_LINK_LIFETIME,
) -> str:
    """A token that lets anyone fetch the photo ``sha256`` until ``now + lifetime``: the
    expiry (Unix seconds) and an HMAC-SHA256 under the server's secret of the photo's hash
    and that expiry, in base64url."""
    expires = int(((now or utcnow()) + lifetime).timestamp())
    raw = expires.to_bytes(8, "big") + _token_mac(secret, sha256, expires)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def valid_photo_token(
    *, secret: str, sha256: str, token: str, now: dt.datetime | None = None
) -> bool:
    """Whether ``token`` was made by :func:`photo_token` for exactly this photo and has not
    expired. Never raises."""
    if not is_sha256(sha256) or not token or len(token) > 100:
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 8 + 32:
        return False
    expires = int.from_bytes(raw[:8], "big")
    if not hmac.compare_digest(raw[8:], _token_mac(secret, sha256, expires)):
        return False
    return (now or utcnow()).timestamp() <= expires


def photo_by_token(
    *, store: PhotoFiles, secret: str, sha256: str, token: str, now: dt.datetime | None = None
) -> bytes:
    """The stored JPEG for a valid, unexpired link to it; else NotFound (the same answer as
    for a photo that does not exist)."""
    data = None
    if valid_photo_token(secret=secret, sha256=sha256, token=token, now=now):
        data = store.get(sha256)
    if data is None:
        raise NotFound("no photo that you can see")
    return data


def card_photo(*, uow: AbstractUnitOfWork, who: Principal, number: str) -> str | None:
    """The SHA-256 of the photo of a card's holder, for someone who may see the card."""
    with uow:
        card = _load_card(uow, who, number, None)
        return on_record(uow.cardholders.get(card.cardholder_id), "the cardholder").photo_sha256


@dataclass(frozen=True)
class PrintedCard:
    card: CardView
    photo_sha256: str | None
    qr_text: str | None  # None when the card is not active: it gets no credential
    problem: str = ""


def printed_card(
    *, uow: AbstractUnitOfWork, who: Principal, number: str, now: dt.datetime | None = None
) -> PrintedCard:
    """The printable card: the holder, or an admin who may see the card (else NotFound)."""
    now = now or utcnow()
    with uow:
        card = _load_card(uow, who, number, None)
        view = describe(uow, card, card_day(now))
        photo = on_record(uow.cardholders.get(card.cardholder_id), "the cardholder").photo_sha256
    try:
        text = printed_credential(
            uow=uow, number=view.number, scheme_code=view.scheme_code, now=now
        )
        problem = ""
    except Conflict as refused:
        text, problem = None, refused.message
    return PrintedCard(view, photo, text, problem)


@dataclass(frozen=True)
class PhoneCard:
    card: CardView
    photo_sha256: str | None
    qr_text: str | None
    valid_until: dt.datetime | None
    has_portrait: bool
    problem: str = ""

    @property
    def accepted_until(self) -> dt.datetime | None:
        """When checkers stop accepting this code (its validity plus the clock skew they
        tolerate): the time the holder is told."""
        return None if self.valid_until is None else phone_code_accepted_until(self.valid_until)


def phone_card(
    *,
    uow: AbstractUnitOfWork,
    store: PhotoFiles,
    who: Principal,
    number: str,
    now: dt.datetime | None = None,
    lifetime: dt.timedelta = PHONE_LIFETIME,
) -> PhoneCard:
    """The cardholder's own phone presentation, freshly signed. Only the holder: an admin
    may print the card but does not carry it (PermissionDenied); another holder's card is
    NotFound."""
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "show a card on a phone: this page is for the card's holder",
    )
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        card = _load_card(uow, who, number, None)
        view = describe(uow, card, card_day(now))
        holder = on_record(uow.cardholders.get(card.cardholder_id), "the cardholder")
        photo = holder.photo_sha256
        if card.status != CardStatus.ACTIVE:
            return PhoneCard(view, photo, None, None, False, f"card {card.number} is {card.status}")
        scheme = on_record(uow.schemes.get(card.scheme_id), "the scheme")
        claims = printed_claims_for(uow, card, scheme.code, scheme.number_prefix, now)
        thumb = store.thumbnail(photo) if photo else None
        claims = dataclasses.replace(claims, portrait_sha256=photo if thumb else None)
        claims = phone_claims(claims, portrait=thumb, now=now, lifetime=lifetime)
        try:
            kid, private = current_signer(uow, scheme.id, now=now)
        except SchemeHoldsOwnKeys as refused:  # the scheme's own system makes its codes
            return PhoneCard(view, photo, None, None, False, refused.message)
        text = issue_credential(claims, private, kid)
        uow.commit()  # a key made on first use is kept
    return PhoneCard(view, photo, text, claims.valid_until, thumb is not None)


def phone_credential(**kwargs: Any) -> str | None:
    """Only the QR text of :func:`phone_card`."""
    return phone_card(**kwargs).qr_text
