"""Keys a scheme holds itself: register their public halves, list, retire, and read the exact
claims to sign for a card (see services/credentials/scheme_keys.py and docs/scheme-keys.md).
Every route needs a bearer token of the scheme's admin (or a hub admin); the services decide."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from skillcard.domain.signing import SigningKeyRecord
from skillcard.services.credentials import scheme_keys
from skillcard.web.api.schemas import ERRORS, Reason
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(prefix="/schemes/{code}", tags=["scheme keys"], responses=ERRORS)


class KeyRegistration(BaseModel):
    public_key: str | dict[str, Any] = Field(
        description="the public key: a JWK (object or its JSON text) or a PEM public key; "
        "never a private key"
    )
    valid_from: dt.datetime | None = Field(None, description="when it may start signing; now")
    valid_until: dt.datetime = Field(description="when it stops signing (at most five years)")


class KeyPublic(BaseModel):
    kid: str
    scheme: str
    holder: str = Field(description="who keeps the private key: hub or scheme")
    status: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    verify_until: dt.date | None


class CardClaimsAnswer(BaseModel):
    scheme: str
    number: str
    claims: dict[str, Any] = Field(description="the claims by name, dates in ISO form")
    cbor: str = Field(description="the claims as the CBOR map to sign, base64url")
    keys: dict[str, int] = Field(description="each claim's integer key in the CBOR map")


@router.post("/keys", response_model=KeyPublic, status_code=201)
def register(code: str, body: KeyRegistration, who: ApiWho, uows: Uows):
    """Register the public half of a key the scheme holds in its own system. From the first
    one on, the hub signs none of this scheme's cards: the scheme signs them."""
    text = body.public_key if isinstance(body.public_key, str) else json.dumps(body.public_key)
    key = scheme_keys.register_key(
        uow=uows(),
        who=who,
        scheme_code=code[:20],
        public_key=text,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return _public(key, code.upper())


@router.get("/keys", response_model=list[KeyPublic])
def list_keys(code: str, who: ApiWho, uows: Uows):
    """The scheme's keys, hub-held and its own, current and retired."""
    views = scheme_keys.scheme_keys(uow=uows(), who=who, scheme_code=code[:20])
    return [KeyPublic(**dataclasses.asdict(v)) for v in views]


@router.post("/keys/{kid}/retire", response_model=KeyPublic)
def retire(code: str, kid: str, body: Reason, who: ApiWho, uows: Uows):
    """Stop one of the scheme's own keys signing, from now; it still vouches for what it
    signed in its window."""
    key = scheme_keys.retire_key(
        uow=uows(), who=who, scheme_code=code[:20], kid=kid, reason=body.reason
    )
    return _public(key, code.upper())


@router.get("/cards/{number}/claims", response_model=CardClaimsAnswer)
def card_claims(code: str, number: str, who: ApiWho, uows: Uows):
    """The exact claims to sign for an active card (its status-list entry among them)."""
    return scheme_keys.card_claims(uow=uows(), who=who, scheme_code=code[:20], number=number)


def _public(key: SigningKeyRecord, scheme: str) -> KeyPublic:
    return KeyPublic(
        kid=key.kid,
        scheme=scheme,
        holder=str(key.holder),
        status=str(key.status),
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        verify_until=key.verify_until,
    )
