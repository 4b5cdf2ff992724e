"""Keys a scheme holds itself: registering their public halves, retiring them, and telling the
scheme exactly what to sign for a card.

A scheme that prefers to keep its private key in its own system registers public keys (a JWK
or a PEM public key), each with a signing window, and signs its cards' credentials itself; the
trust list carries those keys beside the hub-held ones, and every verifier accepts them for
that scheme's cards only. The hub never sees such a private key: a private key sent by mistake
is refused and neither stored nor repeated in any message.

From a scheme's first registered key on, the hub signs none of its cards: its hub-held key is
retired then (cards it signed stay valid until they expire, as after any rotation), and its
status list is signed with the hub's key. A key id is worked out as the hub works out its own
(:mod:`skillcard.adapters.keys`); a JWK naming another ``kid`` is refused, so that one key has
one id wherever it is named.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from typing import Any

from skillcard.adapters import cose  # CBOR written as the credentials write it
from skillcard.domain.accounts import Principal, require
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import CardStatus
from skillcard.domain.credentials import CardClaims, claims_to_map
from skillcard.domain.signing import SigningKeyRecord, can_register_key, check_scheme_key_window
from skillcard.domain.trust import KeyHolder, KeyStatus
from skillcard.errors import Conflict, InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.credentials import credentials, signing, status_lists
from skillcard.services.credentials.verification import issue_credential
from skillcard.services.crypto import keys
from skillcard.services.registry.cards import scheme_for_number
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork

MAX_LISTED_KEYS = 12  # a scheme's own keys in the trust list at once

# The claims' CBOR keys by name (domain/credentials.py has the table and the rules).
CLAIM_KEYS = {
    "scheme": 1,
    "number": 2,
    "card_type_code": 3,
    "card_type_title": 4,
    "holder_name": 5,
    "occupation": 6,
    "qualifications": 7,
    "issued": 9,
    "expires": 10,
    "status_index": 11,
    "signed": 12,
}


def register_key(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    public_key: str,
    valid_until: dt.datetime,
    valid_from: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> SigningKeyRecord:
    """Register the public half of a key the scheme holds, to sign its cards within the
    window; the scheme's hub-held key, if it still has one, is retired."""
    now = now or utcnow()
    sec1, named_kid = keys.parse_public_key(public_key)  # before anything: nothing half-done
    kid = keys.key_id(sec1)
    if named_kid is not None and named_kid != kid:
        raise InvalidInput(
            f"the JWK names kid {named_kid!r}, but this key's id is {kid!r} (the first 8 bytes "
            "of the SHA-256 of its public point, base64url): leave kid out or send that one",
            field="public_key",
        )
    valid_from = valid_from or now
    check_scheme_key_window(valid_from, valid_until, now)
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_register_key(who, scheme.id), f"register a signing key of {scheme.code}")
        if uow.signing_keys.by_kid(kid) is not None:
            raise Conflict(f"key {kid} is already registered")
        _room_for_one_more(uow, scheme.id, now)
        retired = _retire_hub_held(uow, scheme.id, now)
        new = SigningKeyRecord(
            kid=kid,
            scheme_id=scheme.id,
            public_key=sec1,
            private_key_encrypted=None,
            valid_from=valid_from,
            valid_until=valid_until,
            holder=KeyHolder.SCHEME,
        )
        if not uow.signing_keys.add(new):
            raise Conflict(f"key {kid} was registered by someone else just now")
        detail: dict[str, Any] = {
            "scheme_id": scheme.id,
            "kid": kid,
            "holder": "scheme",
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        }
        if retired:
            detail["retired"] = retired
        record(uow, who, "key.register", "signing_key", kid, detail=detail, now=now)
        if retired:  # re-signed now with the hub's key, rather than at the next download
            status_lists.rebuild_status_list(uow, scheme.id, now)
        uow.commit()
        return new


def _room_for_one_more(uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime) -> None:
    # Every listed key goes into every verifier's bundle, which holds a bounded number
    # (trust.MAX_KEYS): one scheme must not be able to crowd the others out.
    listed = [
        k
        for k in uow.signing_keys.all()
        if k.scheme_id == scheme_id and k.holder == KeyHolder.SCHEME and k.listed_on(now.date())
    ]
    if len(listed) >= MAX_LISTED_KEYS:
        raise Conflict(
            f"a scheme has at most {MAX_LISTED_KEYS} keys of its own in the trust list: "
            "retired keys leave it when the scheme's last card they may have signed expires"
        )


def _retire_hub_held(uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime) -> str | None:
    old = uow.signing_keys.current(scheme_id, lock=True)
    if old is None:
        return None
    old.retire(now=now, verify_until=_last_expiry(uow, scheme_id, now))
    uow.signing_keys.save(old)
    return old.kid


def _last_expiry(uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime) -> dt.date:
    return uow.status_lists.latest_expiry(scheme_id) or card_day(now)


def retire_key(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    kid: str,
    reason: str,
    now: dt.datetime | None = None,
) -> SigningKeyRecord:
    """Stop a key the scheme holds from signing, from now; it still vouches for what it signed
    in its window, until the scheme's last card expires."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required for retiring a key", field="reason")
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_register_key(who, scheme.id), f"retire a signing key of {scheme.code}")
        key = uow.signing_keys.by_kid(kid[:32], lock=True)
        if key is None or key.scheme_id != scheme.id or key.holder != KeyHolder.SCHEME:
            raise NotFound(f"{scheme.code} has registered no key {kid[:32]}")
        if key.status == KeyStatus.RETIRED:
            raise Conflict(f"key {key.kid} is already retired")
        key.retire(now=now, verify_until=_last_expiry(uow, scheme.id, now))
        uow.signing_keys.save(key)
        detail = {"scheme_id": scheme.id, "kid": key.kid, "holder": "scheme"}
        record(uow, who, "key.retire", "signing_key", key.kid, reason=reason, detail=detail,
               now=now)  # fmt: skip
        uow.commit()
        return key


def card_claims(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    number: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What a scheme signs for one of its active cards: the claims of its printed credential
    (the hub's status-list entry among them), as JSON and as the CBOR map, base64url. The map
    is cut to fit a printed card's QR code as the hub's own credentials are."""
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        scheme, normalised = scheme_for_number(uow, number, scheme_code)
        require(can_register_key(who, scheme.id), f"read the claims of {scheme.code}'s cards")
        card = uow.cards.by_number(scheme.id, normalised)
        if card is None:
            raise NotFound(f"no card {normalised}")
        if card.status != CardStatus.ACTIVE:
            raise Conflict(f"card {card.number} is {card.status}: it gets no credential")
        claims = credentials.printed_claims_for(uow, card, scheme.code, scheme.number_prefix, now)
        claims = _fitting(claims)
        uow.commit()  # the card's status-list entry, drawn on first use, is kept
    cbor = cose.dumps(claims_to_map(claims))
    return {
        "scheme": scheme.code,
        "number": card.number,
        "claims": claims_json(claims),
        "cbor": base64.urlsafe_b64encode(cbor).rstrip(b"=").decode(),
        "keys": CLAIM_KEYS,
    }


def _fitting(claims: CardClaims) -> CardClaims:
    # Sized with a throwaway key: every key id is 11 characters and every ES256 signature
    # 64 bytes, so the scheme's credential comes out exactly as long.
    throwaway = keys.generate_private_key()
    kid = keys.key_id(throwaway)
    _, fitted = credentials.fitted(claims, lambda c: issue_credential(c, throwaway, kid))
    return fitted


def claims_json(claims: CardClaims) -> dict[str, Any]:
    fields = dataclasses.asdict(claims)
    out = {name: fields[name] for name in CLAIM_KEYS}
    out["qualifications"] = list(claims.qualifications)
    out["issued"], out["expires"] = claims.issued.isoformat(), claims.expires.isoformat()
    out["signed"] = claims.signed.isoformat() if claims.signed else None
    return out


def scheme_keys(
    *, uow: AbstractUnitOfWork, who: Principal, scheme_code: str
) -> list[signing.KeyView]:
    """A scheme's keys, hub-held and its own, current and retired, oldest first."""
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_register_key(who, scheme.id), f"see the signing keys of {scheme.code}")
    return [v for v in signing.list_keys(uow=uow) if v.scheme == scheme.code]


__all__ = ["CLAIM_KEYS", "card_claims", "register_key", "retire_key", "scheme_keys"]
