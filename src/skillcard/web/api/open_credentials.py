"""The open-standard exports of MyCard (the card as an SD-JWT VC, achievements as Open Badges
3.0), the hub's Bitstring Status List of badges, and the verifier for both.

``POST /credentials/verify`` takes hostile input by its nature: whatever the text, the answer is
an outcome word with a 200 (``malformed`` for what cannot be read), never an error.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from skillcard.adapters.jose import MAX_TOKEN
from skillcard.services.credentials import card_sd_jwt, open_badges
from skillcard.web.api.schemas import ERRORS, ErrorBody
from skillcard.web.checking import limit_checks
from skillcard.web.deps import AnonymousClient, ApiWho, Limiter, OptionalApiWho, Uows

router = APIRouter(tags=["open credentials"], responses=ERRORS)


def public_url(request: Request) -> str:
    return request.app.state.settings.public_url


class SdJwtRequest(BaseModel):
    disclose: list[str] | None = Field(
        None,
        max_length=len(card_sd_jwt.DISCLOSABLE),
        description="the claims to disclose (all when left out): "
        + ", ".join(card_sd_jwt.DISCLOSABLE),
    )
    holder_jwk: dict | None = Field(
        None, description="the holder's P-256 public JWK, to bind presentations to (cnf)"
    )


class SdJwtAnswer(BaseModel):
    sd_jwt: str = Field(description="the SD-JWT VC presentation (typ dc+sd-jwt)")
    disclosed: list[str]
    media_type: str = "application/dc+sd-jwt"


@router.post("/my/cards/{number}/sd-jwt", response_model=SdJwtAnswer)
def export_card_sd_jwt(number: str, body: SdJwtRequest, request: Request, who: ApiWho, uows: Uows):
    """The holder's own card as an SD-JWT VC, with only the claims they choose disclosed."""
    found = card_sd_jwt.export_card(
        uow=uows(),
        who=who,
        number=number[:40],
        public_url=public_url(request),
        disclose=body.disclose,
        holder_jwk=body.holder_jwk,
    )
    return SdJwtAnswer(sd_jwt=found.text, disclosed=list(found.disclosed))


class CredentialIn(BaseModel):
    credential: str = Field(
        max_length=MAX_TOKEN,
        description="an SD-JWT VC presentation (a JWT and '~'), or an Open Badge VC-JWT",
    )
    audience: str | None = Field(
        None, max_length=300, description="who the holder's key binding must be for, if bound"
    )


class CredentialVerdict(BaseModel):
    format: str
    outcome: str = Field(description="one of the verification outcomes of docs/contracts.md")
    valid: bool
    reasons: list[str]
    key_id: str | None
    claims: dict | None = Field(description="the disclosed claims, when a trusted key vouched")


@router.post(
    "/credentials/verify",
    response_model=CredentialVerdict,
    responses={429: {"model": ErrorBody, "description": "too many checks"}},
)
async def verify_credential(
    body: CredentialIn,
    request: Request,
    uows: Uows,
    limiter: Limiter,
    who: OptionalApiWho,
    client: AnonymousClient,
):
    """Verify a card's SD-JWT VC presentation or an Open Badge against this hub's keys and
    status lists; the format is told by the text (an SD-JWT has '~'). It counts against the
    same allowance as a check of a card's QR code (429 once it is used up)."""
    await run_in_threadpool(limit_checks, request, limiter, who=who, client=client)
    kind, found = await run_in_threadpool(
        open_badges.verify_open_credential,
        uow=uows(),
        text=body.credential,
        public_url=public_url(request),
        audience=body.audience,
    )
    return _verdict(kind, found)


def _verdict(kind: str, found) -> CredentialVerdict:
    return CredentialVerdict(
        format=kind,
        outcome=found.outcome,
        valid=found.valid,
        reasons=list(found.reasons),
        key_id=found.key_id,
        claims=found.claims,
    )


class AchievementOut(BaseModel):
    key: str
    kind: str
    name: str
    achieved_on: dt.date
    valid_until: dt.date | None


@router.get("/my/achievements", response_model=list[AchievementOut])
def my_achievements(who: ApiWho, uows: Uows):
    """The holder's achievements that may be exported as Open Badges or shared."""
    return [
        AchievementOut(
            key=a.key,
            kind=a.kind,
            name=a.name,
            achieved_on=a.achieved_on,
            valid_until=a.valid_until,
        )
        for a in open_badges.holder_achievements(uow=uows(), who=who)
    ]


class BadgeAnswer(BaseModel):
    credential: str = Field(description="the Open Badges 3.0 credential, a VC-JWT (ES256)")
    id: str
    media_type: str = "application/vc+jwt"


@router.post("/my/achievements/{key}/badge", response_model=BadgeAnswer)
def export_badge(key: str, request: Request, who: ApiWho, uows: Uows):
    """One of the holder's achievements as an Open Badges 3.0 credential, signed by the hub."""
    found = open_badges.export_badge(
        uow=uows(), who=who, key=key[:40], public_url=public_url(request)
    )
    return BadgeAnswer(credential=found.credential, id=f"urn:uuid:{found.public_id}")


@router.get(
    "/badges/status-list",
    response_class=Response,
    responses={200: {"content": {"application/vc+jwt": {}}}},
)
def badge_status_list(request: Request, uows: Uows):
    """The hub's W3C Bitstring Status List of exported badges, a signed VC-JWT."""
    token = open_badges.status_list_credential(uow=uows(), public_url=public_url(request))
    return Response(
        token, media_type="application/vc+jwt", headers={"Cache-Control": "public, max-age=300"}
    )
