"""A card as an SD-JWT VC (RFC 9901 and the SD-JWT VC draft, ``typ`` ``dc+sd-jwt``), exported at
the holder's request, and checked against the registry's keys and status lists.

What the holder may leave out: every claim about the person and the card (name, number, card
type, occupation, qualifications, dates, scheme). What is always shown, as the draft requires
them plain: ``iss`` (the scheme's URL), ``vct``, ``iat``, ``exp`` (the card's expiry) and
``status``, the card's entry in its scheme's status list (a random entry, which says nothing of
the card, :mod:`skillcard.services.credentials.status_lists`). A holder who gives a key (``cnf``)
can bind
each presentation to it, so a verifier knows no disclosure was added or removed since.

Outcomes are the credential outcome words of docs/contracts.md: ``valid``, ``expired``,
``not_yet_valid``, ``suspended``, ``revoked``, ``unknown_issuer``, ``bad_signature``,
``malformed``; verification never raises.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters import jose, keys, sd_jwt
from skillcard.adapters.jose import JoseRefused
from skillcard.domain.accounts import Principal, Role, require
from skillcard.domain.cards import Card, CardStatus
from skillcard.domain.schemes import Scheme
from skillcard.domain.trust import CLOCK_SKEW, ListedState
from skillcard.errors import Conflict, InvalidInput
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.credentials.credentials import local_bundle
from skillcard.services.credentials.open_credentials import OpenVerification, origin, scheme_issuer
from skillcard.services.credentials.signing import current_signer
from skillcard.services.credentials.status_lists import card_entry
from skillcard.services.credentials.verification import VerifierBundle
from skillcard.services.registry.cards import _load_card
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

DISCLOSABLE = (
    "given_name",
    "family_name",
    "card_number",
    "card_type",
    "occupation",
    "qualifications",
    "issue_date",
    "expiry_date",
    "scheme_name",
)


def vct(public_url: str) -> str:
    """The credential type: a URL of the hub's, as the draft asks (a collision-resistant name)."""
    return f"{origin(public_url)}/credentials/skills-card"


@dataclass(frozen=True)
class CardExport:
    text: str  # the presentation: the issuer's JWT and the chosen disclosures
    disclosed: tuple[str, ...]
    whole: str  # with every disclosure, for the holder to present from later


def export_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    public_url: str,
    disclose: list[str] | None = None,
    holder_jwk: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> CardExport:
    """The holder's card as an SD-JWT VC disclosing ``disclose`` (None: every claim), signed now
    with the scheme's key; bound to ``holder_jwk`` when one is given."""
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "export a card: only its holder may",
    )
    chosen = tuple(DISCLOSABLE if disclose is None else dict.fromkeys(disclose))
    unknown = [n for n in chosen if n not in DISCLOSABLE]
    if unknown:
        raise InvalidInput(f"no claim {unknown[0][:40]!r}: choose from {', '.join(DISCLOSABLE)}")
    cnf = None
    if holder_jwk is not None:
        try:
            jose.public_key_of_jwk(holder_jwk)
        except JoseRefused as refused:
            raise InvalidInput(f"the holder's key: {refused.reason}") from None
        cnf = {"jwk": {k: holder_jwk[k] for k in ("kty", "crv", "x", "y")}}
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        card = _load_card(uow, who, number, None)
        if card.status != CardStatus.ACTIVE:
            raise Conflict(f"card {card.number} is {card.status}: it gets no credential")
        issued, kid = issue_card(uow, card, public_url, now, cnf)
        record(uow, who, "card.export_sd_jwt", "card", card.number, detail={"kid": kid}, now=now)
        uow.commit()
    return CardExport(issued.present(chosen), chosen, issued.whole)


def issue_card(
    uow: AbstractUnitOfWork,
    card: Card,
    public_url: str,
    now: dt.datetime,
    cnf: dict[str, Any] | None = None,
) -> tuple[sd_jwt.Issued, str]:
    """The card's SD-JWT, with every disclosure, and the kid that signed it (caller commits)."""
    scheme = on_record(uow.schemes.get(card.scheme_id), "the card's scheme")
    plain: dict[str, Any] = {
        "iss": scheme_issuer(public_url, scheme.code),
        "vct": vct(public_url),
        "iat": int(now.timestamp()),
        "exp": _end_of(card.expires_on),
        "status": {
            "skillcard_status_list": {
                "idx": card_entry(uow, card, now),
                "uri": f"{origin(public_url)}/api/v1/status-lists/{scheme.code}",
            }
        },
    }
    if cnf:
        plain["cnf"] = cnf
    kid, private = current_signer(uow, scheme.id, now=now)
    return sd_jwt.issue({"kid": kid}, plain, _card_claims(uow, card, scheme), private), kid


def _card_claims(uow: AbstractUnitOfWork, card: Card, scheme: Scheme) -> dict[str, Any]:
    holder = on_record(uow.cardholders.get(card.cardholder_id), "the cardholder")
    card_type = on_record(uow.card_types.get(card.card_type_id), "the card type")
    occupation = uow.occupations.get(card.occupation_id) if card.occupation_id else None
    titles: list[str] = []
    for held in uow.cardholders.qualifications_of(card.cardholder_id):
        if held.verified:
            found = uow.reference.qualification(held.qualification_code)
            titles.append(found.title if found else held.qualification_code)
    return {
        "given_name": holder.given_names,
        "family_name": holder.surname,
        "card_number": card.number,
        "card_type": card_type.title,
        "occupation": occupation.title if occupation else card_type.title,
        "qualifications": titles,
        "issue_date": card.issued_on.isoformat(),
        "expiry_date": card.expires_on.isoformat(),
        "scheme_name": scheme.name,
    }


def _end_of(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time.max, dt.UTC).timestamp())


def verify_card(
    *,
    uow: AbstractUnitOfWork,
    text: str,
    public_url: str,
    now: dt.datetime | None = None,
    audience: str | None = None,
) -> OpenVerification:
    """Check a card's SD-JWT VC presentation against the registry. Never raises for bad text."""
    now = now or utcnow()
    with uow:
        bundle = local_bundle(uow, now)
        uow.commit()
    prefix = f"{origin(public_url)}/schemes/"
    found: dict[str, Any] = {}

    def key_for(header: dict[str, Any], payload: dict[str, Any]) -> ec.EllipticCurvePublicKey:
        iss = payload.get("iss")
        if not isinstance(iss, str) or not iss.startswith(prefix):
            raise JoseRefused("unknown_issuer", "the issuer is not a scheme this hub trusts")
        code = iss[len(prefix) :]
        kid = header.get("kid")
        for key, public in bundle.keys_for(str(kid).encode()):
            if key.scheme == code:
                found.update(kid=key.kid, key=key, scheme=code)
                return public
        raise JoseRefused("unknown_issuer", f"no key {str(kid)[:20]!r} of {code[:20]} is trusted")

    try:
        verified = sd_jwt.verify(text, key_for, now, audience=audience)
    except JoseRefused as refused:
        return OpenVerification(refused.outcome, (refused.reason,), key_id=found.get("kid"))
    outcome, reason = _card_outcome(verified.claims, found, bundle, now)
    return OpenVerification(
        outcome,
        (reason,) if reason else (),
        verified.claims,
        found["kid"],
        {"key_bound": verified.key_bound},
    )


def _card_outcome(
    claims: dict[str, Any], found: dict[str, Any], bundle: VerifierBundle, now: dt.datetime
) -> tuple[str, str]:
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        return "malformed", "the credential has no iat and exp as numbers"
    signed = dt.datetime.fromtimestamp(iat, dt.UTC)
    if not found["key"].signed_in_window(signed):
        return "unknown_issuer", f"key {found['kid']} did not sign for its scheme then"
    if signed > now + CLOCK_SKEW:
        return "not_yet_valid", "the credential is signed in the future"
    if exp < (now - CLOCK_SKEW).timestamp():
        return "expired", "the card has expired"
    entry = (claims.get("status") or {}).get("skillcard_status_list") or {}
    status_list = bundle.status_lists.get(found["scheme"])
    index = entry.get("idx") if isinstance(entry, dict) else None
    if not isinstance(index, int) or status_list is None or not 0 <= index < status_list.entries:
        return "malformed", "the credential names no entry of its scheme's status list"
    state = status_list.state_of(index)
    if state is ListedState.REVOKED:
        return "revoked", "the scheme has revoked this card"
    if state is ListedState.SUSPENDED:
        return "suspended", "the scheme has suspended this card"
    return "valid", ""


def holder_key_jwk(private: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """A holder's public JWK (for ``cnf``) from their private key (tests, wallets)."""
    return keys.public_key_jwk(private)
