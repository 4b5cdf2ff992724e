"""Holder-bound phone cards (domain/holder_binding.py): a holder's phone enrols its public key
for one card and gets a device credential; the holder or an admin revokes a lost phone's.

- :func:`enrol_device`: only the card's holder, for an active card. The phone's key comes as
  a JWK (public part only, P-256). The credential's period is ``days`` (a setting), never past
  the card's expiry. A phone enrolling again, or a new phone, replaces the card's earlier
  device credentials: they are revoked in the same transaction. Audited
  ``device.phone_set_up`` on the card (its history shows it).
- :func:`revoke_device`: the holder, or an admin of the card's scheme (or the hub). Its entry
  in the scheme's status list is set at once. Audited ``device.phone_revoked`` on the card.
- :func:`card_devices`: the card's device credentials, for the holder or an admin.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from skillcard.adapters import presentation
from skillcard.domain.accounts import Principal, Role, can_view_card, require
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import Card, CardStatus
from skillcard.domain.holder_binding import DEFAULT_DEVICE_DAYS, DeviceCredential
from skillcard.domain.holder_binding import device_period_end as period_end
from skillcard.errors import Conflict, InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.credentials import status_lists
from skillcard.services.credentials.credentials import printed_claims_for
from skillcard.services.credentials.signing import current_signer
from skillcard.services.credentials.verification import issue_device_credential
from skillcard.services.ports.devices import DeviceRecord
from skillcard.services.ports.files import PhotoFiles
from skillcard.services.registry.cards import _load_card
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

MAX_REASON = 300


@dataclass(frozen=True)
class Enrolment:
    """What the phone keeps: the device credential and what its offline page shows."""

    device_id: int
    credential: bytes
    valid_until: dt.datetime
    thumbprint: str
    scheme: str
    number: str
    holder_name: str
    card_type_title: str
    occupation: str
    expires: dt.date
    colour: str  # the card type's, for the band of the card's face
    portrait: bytes | None  # the thumbnail the credential carries


def enrol_device(
    *,
    uow: AbstractUnitOfWork,
    store: PhotoFiles,
    who: Principal,
    number: str,
    jwk: object,
    days: int = DEFAULT_DEVICE_DAYS,
    now: dt.datetime | None = None,
) -> Enrolment:
    """A device credential for the holder's phone key ``jwk`` (InvalidInput for a bad key)."""
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "set up a phone card: only the card's holder can",
    )
    point = presentation.public_key_from_jwk(jwk)  # refused before anything is touched
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        card = _load_card(uow, who, number, None)
        if card.status != CardStatus.ACTIVE:
            raise Conflict(f"card {card.number} is {card.status}: it cannot go on a phone")
        until = period_end(now, card.expires_on, days)
        if until is None:
            raise Conflict(f"card {card.number} has expired: it cannot go on a phone")
        for old in uow.device_credentials.of_card(card.id):
            if not old.revoked:
                _revoke(uow, who, old, card.number, "replaced by a newly set up phone", now)
        scheme = on_record(uow.schemes.get(card.scheme_id), "the scheme")
        holder = on_record(uow.cardholders.get(card.cardholder_id), "the cardholder")
        claims = printed_claims_for(uow, card, scheme.code, scheme.number_prefix, now)
        thumb = store.thumbnail(holder.photo_sha256) if holder.photo_sha256 else None
        index = status_lists.allocate_entry(uow, card, now, until=card_day(until))
        claims = dataclasses.replace(
            claims,
            portrait_sha256=holder.photo_sha256 if thumb else None,
            portrait=thumb,
            status_index=index,
            valid_until=until,
        )
        card_type = uow.card_types.get(card.card_type_id)
        colour = card_type.colour if card_type else ""
        kid, private = current_signer(uow, scheme.id, now=now)
        credential = issue_device_credential(DeviceCredential(claims, point), private, kid)
        thumbprint = presentation.key_thumbprint(point)
        device_id = uow.device_credentials.add(
            card_id=card.id, scheme_id=scheme.id, status_index=index, public_key=point,
            thumbprint=thumbprint, issued_at=now, valid_until=until,
        )  # fmt: skip
        detail = {"device_id": device_id, "key": thumbprint, "until": until.isoformat()}
        record(uow, who, "device.phone_set_up", "card", card.number, detail=detail, now=now)
        uow.commit()
    return Enrolment(
        device_id, credential, until, thumbprint, scheme.code, card.number, claims.holder_name,
        claims.card_type_title, claims.occupation, card.expires_on, colour, thumb,
    )  # fmt: skip


def revoke_device(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    device_id: int,
    reason: str,
    now: dt.datetime | None = None,
) -> DeviceRecord:
    """Revoke a phone's device credential (NotFound for one the caller may not see)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"give a reason of 1 to {MAX_REASON} characters")
    now = now or utcnow()
    with uow:
        device = uow.device_credentials.get(device_id)
        card = uow.cards.get(device.card_id) if device else None
        if device is None or card is None or not _may_see(who, card):
            raise NotFound(f"no phone card {device_id} that you can see")
        if device.revoked:
            raise Conflict("that phone's card is already revoked")
        _revoke(uow, who, device, card.number, reason, now)
        uow.commit()
        return on_record(uow.device_credentials.get(device_id), "the device credential")


def card_devices(*, uow: AbstractUnitOfWork, who: Principal, number: str) -> list[DeviceRecord]:
    """The phones a card has been put on, the newest first."""
    with uow:
        card = _load_card(uow, who, number, None)
        return uow.device_credentials.of_card(card.id)


def _may_see(who: Principal, card: Card) -> bool:
    return can_view_card(who, card.scheme_id, card.cardholder_id)


def _revoke(
    uow: AbstractUnitOfWork,
    who: Principal,
    device: DeviceRecord,
    number: str,
    reason: str,
    now: dt.datetime,
) -> None:
    if not uow.device_credentials.revoke(device.id, now=now, by=who.label, reason=reason):
        raise Conflict("that phone's card was revoked by someone else just now")
    status_lists.device_revoked(uow, device.scheme_id, device.status_index, now)
    detail = {"device_id": device.id, "key": device.thumbprint}
    record(uow, who, "device.phone_revoked", "card", number, reason=reason, detail=detail, now=now)
