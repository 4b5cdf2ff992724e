"""Credentials for the registry's cards: the printed QR text, and checking QR text against
the local database's keys and status lists.

A printed card's QR must stay at version 15 or below at error correction Q (cards get worn),
which holds 426 alphanumeric characters: about 284 bytes of signed CBOR, of which ~90 go on
the COSE envelope and signature. So the printed claims are compact: no portrait hash, the
occupation left empty when it only repeats the card type's title, and at most four verified
qualifications, as their short codes. If a card's text is still too long (a very long name
and card type title), qualifications are dropped from the end, then the card type's title is
cut short (with an ellipsis): the card type's code, which is never cut, still names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from skillcard.domain.calendar import card_day
from skillcard.domain.cards import Card, CardStatus
from skillcard.domain.credentials import CardClaims, VerificationResult
from skillcard.domain.trust import StatusList, TrustedKey
from skillcard.errors import Conflict, NotFound
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials.signing import current_signer, ensure_keys
from skillcard.services.credentials.status_lists import card_entry, published_status_list
from skillcard.services.credentials.verification import VerifierBundle, issue_credential, verify
from skillcard.services.registry.cards import scheme_for_number
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

PRINTED_MAX_CHARS = 426  # alphanumeric capacity of a version-15 QR code at level Q
PRINTED_QUALIFICATIONS = 4
_SHORTEST_TITLE = 12


def printed_credential(
    *,
    uow: AbstractUnitOfWork,
    number: str,
    scheme_code: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """The QR text of a card's printed credential, signed now with its scheme's key."""
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        scheme, normalised = scheme_for_number(uow, number, scheme_code)
        card = uow.cards.by_number(scheme.id, normalised)
        if card is None:
            raise NotFound(f"no card {normalised}")
        if card.status != CardStatus.ACTIVE:
            raise Conflict(f"card {card.number} is {card.status}: it gets no credential")
        claims = printed_claims_for(uow, card, scheme.code, scheme.number_prefix, now)
        kid, private = current_signer(uow, scheme.id, now=now)
        text, _ = fitted(claims, lambda c: issue_credential(c, private, kid))
        uow.commit()  # a key made on first use is kept
        return text


def printed_claims_for(
    uow: AbstractUnitOfWork, card: Card, scheme_code: str, prefix: str, now: dt.datetime
) -> CardClaims:
    card_type = on_record(uow.card_types.get(card.card_type_id), "the card type")
    holder = on_record(uow.cardholders.get(card.cardholder_id), "the cardholder")
    occupation = uow.occupations.get(card.occupation_id) if card.occupation_id else None
    occupation_title = occupation.title if occupation else ""
    held = [q for q in uow.cardholders.qualifications_of(holder.id) if q.verified]
    held.sort(key=lambda q: q.achieved_on, reverse=True)  # the newest first
    codes = tuple(dict.fromkeys(q.qualification_code for q in held))[:PRINTED_QUALIFICATIONS]
    return CardClaims(
        scheme=scheme_code,
        number=card.number,
        card_type_code=card_type.code,
        card_type_title=card_type.title,
        holder_name=holder.full_name,
        occupation="" if occupation_title == card_type.title else occupation_title,
        qualifications=codes,
        portrait_sha256=None,
        issued=card.issued_on,
        expires=card.expires_on,
        status_index=card_entry(uow, card, now),
        signed=now,
    )


def fitted(claims: CardClaims, issue: Callable[[CardClaims], str]) -> tuple[str, CardClaims]:
    """The text of the claims made to fit a version-15 QR code (see the module's notes), and
    the claims it carries."""
    import dataclasses

    text = issue(claims)
    while len(text) > PRINTED_MAX_CHARS and claims.qualifications:
        claims = dataclasses.replace(claims, qualifications=claims.qualifications[:-1])
        text = issue(claims)
    title = claims.card_type_title
    while len(text) > PRINTED_MAX_CHARS and len(title) > _SHORTEST_TITLE:
        title = title[: max(_SHORTEST_TITLE, len(title) - 8)].rstrip() + "…"
        claims = dataclasses.replace(claims, card_type_title=title)
        text = issue(claims)
    return text, claims


def local_bundle(uow: AbstractUnitOfWork, now: dt.datetime) -> VerifierBundle:
    """The database's own keys and status lists as a verifier bundle (inside the caller's
    transaction, which commits any key or list made on first use). No signatures to check:
    these are the registry's own rows."""
    ensure_keys(uow, now)
    schemes = {s.id: s for s in uow.schemes.list()}
    trusted = [
        TrustedKey(
            k.kid, schemes[k.scheme_id].code, k.public_key, k.valid_from, k.valid_until, k.status
        )
        for k in uow.signing_keys.all()
        if k.scheme_id in schemes and k.listed_on(card_day(now))
    ]
    lists = []
    for scheme in schemes.values():
        published_status_list(uow, scheme.id, now)  # built or refreshed when it must be
        stored = on_record(uow.status_lists.get(scheme.id), "the stored status list")
        plane = stored.suspended if any(stored.suspended) else b""
        lists.append(StatusList(scheme.code, stored.issued, stored.bits, stored.ttl, plane))
    return VerifierBundle(trusted, lists)


def verify_text(
    *, uow: AbstractUnitOfWork, text: str, now: dt.datetime | None = None
) -> VerificationResult:
    """Check QR text against the local registry's keys and status lists. Never raises for
    bad text: that is the ``malformed`` outcome."""
    now = now or utcnow()
    with uow:
        bundle = local_bundle(uow, now)
        uow.commit()
    return verify(text, bundle, now)


def result_json(result: VerificationResult) -> dict[str, Any]:
    """A verification result as the API and ``skillcard verify --json`` give it: only the
    card's public claims (no portrait bytes)."""
    claims = result.claims
    public = None
    if claims is not None:
        public = {
            "scheme": claims.scheme,
            "number": claims.number,
            "card_type_code": claims.card_type_code,
            "card_type_title": claims.card_type_title,
            "holder_name": claims.holder_name,
            "occupation": claims.occupation,
            "qualifications": list(claims.qualifications),
            "issued": claims.issued.isoformat(),
            "expires": claims.expires.isoformat(),
            "presentation": claims.presentation,
        }
    return {
        "outcome": result.outcome.value,
        "valid": result.valid,
        "reasons": list(result.reasons),
        "warnings": list(result.warnings),
        "key_id": result.key_id,
        "claims": public,
    }
