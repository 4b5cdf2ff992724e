"""What offline checkers download (trust list, status lists, the bundle) and QR verification.

The downloads are public and cacheable for five minutes, with an ETag so a checker that has
the current bundle gets a 304 and nothing else. ``POST /verify`` takes hostile input by its
nature: its body is read with a cap, and every failure of the text itself is the
``malformed`` outcome with a 200, never an error.
"""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from skillcard.errors import InvalidInput
from skillcard.services.checks import checks
from skillcard.services.credentials import credentials, trust
from skillcard.services.credentials.verification import MAX_TEXT
from skillcard.web.api.schemas import ERRORS, ErrorBody
from skillcard.web.checking import limit_checks
from skillcard.web.deps import AnonymousClient, Limiter, OptionalApiWho, Uows

router = APIRouter(tags=["trust"], responses=ERRORS)
CACHE_CONTROL = "public, max-age=300"
MAX_VERIFY_BODY = 16 * 1024


def _cached_json(request: Request, document: dict) -> Response:
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/trust-list", response_class=Response)
def trust_list(request: Request, uows: Uows):
    """The hub-signed list of every scheme's current and retired keys."""
    return _cached_json(request, uows.replica_first(lambda uow: trust.trust_list(uow=uow)))


@router.get("/status-lists/{scheme}", response_class=Response)
def status_list(scheme: str, request: Request, uows: Uows):
    """A scheme's signed status list (gzip bitstrings of revoked and suspended entries)."""
    document = uows.replica_first(lambda uow: trust.status_list(uow=uow, scheme_code=scheme[:20]))
    return _cached_json(request, document)


@router.get("/bundle", response_class=Response)
def bundle(request: Request, uows: Uows):
    """The verifier bundle: the trust list and every scheme's status list, for offline use."""
    return _cached_json(request, uows.replica_first(lambda uow: trust.verifier_bundle(uow=uow)))


class VerifyRequest(BaseModel):
    qr: str = Field(max_length=MAX_TEXT, description="the QR code's text, SC1:...")


class VerifyAnswer(BaseModel):
    outcome: str = Field(description="one of the verification outcomes of docs/contracts.md")
    valid: bool
    reasons: list[str]
    warnings: list[str]
    key_id: str | None
    claims: dict | None = Field(description="the card's public claims, when a key vouched")


_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": VerifyRequest.model_json_schema()}},
    }
}


@router.post(
    "/verify",
    response_model=VerifyAnswer,
    openapi_extra=_BODY_DOC,
    responses={429: {"model": ErrorBody, "description": "too many checks"}},
)
async def verify(
    request: Request, uows: Uows, limiter: Limiter, who: OptionalApiWho, client: AnonymousClient
):
    """Verify a QR code's text against this registry's keys and status lists. The check is
    logged (``qr_online``) in the card's holder's record: a bearer token names the checker.
    It counts against the same allowance as a check by number (429 once it is used up)."""
    await run_in_threadpool(limit_checks, request, limiter, who=who, client=client)
    raw = await _capped_body(request)
    try:
        body = VerifyRequest.model_validate_json(raw)
    except ValidationError as error:
        problem = error.errors()[0].get("msg", "invalid") if error.errors() else "invalid"
        raise InvalidInput(f'send {{"qr": "SC1:..."}}: {problem}') from None
    window = request.app.state.settings.presentation_window()
    checked = await run_in_threadpool(
        checks.check_qr, uow=uows(), text=body.qr, who=who, client=client, window=window
    )
    return credentials.result_json(checked.result)


async def _capped_body(request: Request) -> bytes:
    """The body, refused once past MAX_VERIFY_BODY bytes, whatever Content-Length says."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_VERIFY_BODY:
            raise InvalidInput(f"the request body is larger than {MAX_VERIFY_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
