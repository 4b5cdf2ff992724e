"""The open-standard exports of MyCard (the card as an SD-JWT VC) and the verifier for them.

``POST /credentials/verify`` takes hostile input by its nature: whatever the text, the answer is
an outcome word with a 200 (``malformed`` for what cannot be read), never an error.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from skillcard.adapters.jose import MAX_TOKEN
from skillcard.services import card_sd_jwt
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import ApiWho, Uows

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
    credential: str = Field(max_length=MAX_TOKEN, description="an SD-JWT VC presentation")
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


@router.post("/credentials/verify", response_model=CredentialVerdict)
async def verify_credential(body: CredentialIn, request: Request, uows: Uows):
    """Verify an SD-JWT VC card presentation against this hub's keys and status lists."""
    found = await run_in_threadpool(
        card_sd_jwt.verify_card,
        uow=uows(),
        text=body.credential,
        public_url=public_url(request),
        audience=body.audience,
    )
    return _verdict("sd-jwt-vc", found)


def _verdict(kind: str, found) -> CredentialVerdict:
    return CredentialVerdict(
        format=kind,
        outcome=found.outcome,
        valid=found.valid,
        reasons=list(found.reasons),
        key_id=found.key_id,
        claims=found.claims,
    )
