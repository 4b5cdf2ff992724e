"""Smart Check by card number and surname: public, rate limited, every check logged."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from skillcard.adapters import metrics
from skillcard.services.checks import checks
from skillcard.services.credentials.verification import MAX_TEXT
from skillcard.web import checking
from skillcard.web.api.schemas import ERRORS, ErrorBody, parse_query, query_parameters
from skillcard.web.checking import (
    public_answer,
    with_photo_url,
)
from skillcard.web.deps import (
    ApiWho,
    UnitOfWorkFactory,
    Uows,
    anonymous_client,
    optional_api_principal,
)

router = APIRouter(
    tags=["checks"],
    responses={**ERRORS, 429: {"model": ErrorBody, "description": "too many checks"}},
)


class CheckAnswer(BaseModel):
    """Everything a check reveals, and nothing else: no ids, dates of birth or addresses."""

    outcome: str = Field(
        description="valid, expired, not_yet_valid, suspended, revoked or no_match"
    )
    valid: bool
    colour: str = Field(description="green valid; amber valid, expiring soon; red not valid")
    reasons: list[str] = Field(description="why, in plain English, and what to do next")
    warnings: list[str] = Field(description="expiring_soon within 90 days of expiry")
    checked_at: dt.datetime
    scheme: str
    card_number: str
    holder_name: str | None
    photo_sha256: str | None
    photo_url: str | None = Field(
        description="a link to the holder's photo that works for 10 minutes without signing in"
    )
    card_type: str | None
    occupation: str | None
    qualifications: list[str] = Field(description="titles of qualifications the scheme checked")
    expires_on: dt.date | None


class CheckQuery(BaseModel):
    """The query of a check, validated here rather than parameter by parameter: FastAPI's
    per-parameter handling cost more than the check itself (profiled)."""

    model_config = ConfigDict(extra="ignore")

    number: str = Field(min_length=1, max_length=40, description="the card number")
    surname: str = Field(min_length=1, max_length=100, description="on the card")
    scheme: str | None = Field(None, max_length=20, description="scheme code")
    site: str | None = Field(None, max_length=200, description="where (signed-in checkers)")


@router.get(
    "/check",
    response_model=CheckAnswer,
    openapi_extra={"parameters": query_parameters(CheckQuery)},
)
async def check(request: Request):
    """Check a card of any scheme by its number and its holder's surname.

    No token is needed. Anonymous clients get a small allowance of checks per minute; a
    bearer token (a business checker's, say) gets a larger one and is named as the checker
    in the cardholder's record. A wrong surname and an unknown number give the same
    ``no_match`` answer.
    """
    query = parse_query(CheckQuery, request)
    uows: UnitOfWorkFactory = request.app.state.uows
    who = await optional_api_principal(request, uows)
    client = await anonymous_client(request)
    asked: dict[str, Any] = {
        "number": query.number, "surname": query.surname, "scheme_code": query.scheme,
        "who": who, "client": client, "site": query.site,
    }  # fmt: skip
    result, after = await checking.check_a_card(request, asked)
    metrics.CHECKS.labels("api", result.view.outcome.value).inc()
    # A Response, not a dict: the dict's second validation against response_model is skipped
    answer = CheckAnswer.model_validate(public_answer(with_photo_url(request, result)))
    return Response(answer.model_dump_json(), media_type="application/json", background=after)


class OfflineCheckIn(BaseModel):
    qr: str = Field(max_length=MAX_TEXT, description="the QR code's text, SC1:...")
    checked_at: dt.datetime = Field(description="when the device checked it (ISO 8601, zoned)")
    outcome: str | None = Field(
        default=None, max_length=20, description="the device's outcome (compared, not stored)"
    )
    site: str | None = Field(default=None, max_length=200)


class OfflineSyncAnswerItem(BaseModel):
    index: int = Field(description="the item's place in the list sent, from 0")
    stored: bool
    outcome: str | None = Field(description="the server's outcome at checked_at, if stored")
    agrees: bool | None = Field(description="whether the device's outcome was the same")
    error: str | None = Field(description="why the item was refused, if it was")


class OfflineSyncAnswer(BaseModel):
    stored: int
    refused: int
    results: list[OfflineSyncAnswerItem]


@router.post("/checks/offline", response_model=OfflineSyncAnswer)
def sync_offline(
    who: ApiWho,
    uows: Uows,
    items: Annotated[list[OfflineCheckIn], Body(max_length=checks.MAX_OFFLINE_BATCH)],
):
    """Send the QR checks a device made offline (at most 500 at a time). Each code is verified
    again by the server at the time the device checked it, with the card's status as it stood
    then, and logged as ``qr_offline`` with the server's outcome. Items checked in the future
    (beyond 5 minutes of clock skew) or more than 30 days ago are refused one by one. Needs a
    bearer token (business users, admins)."""
    return offline_answer(uows, who, items)


def offline_answer(uows: Uows, who, items: list[OfflineCheckIn]) -> dict:
    """Sync offline checks and say what became of each (the API's and the page's answer)."""
    results = checks.sync_offline_checks(
        uow=uows(),
        who=who,
        items=[
            checks.OfflineCheck(
                qr=item.qr, checked_at=item.checked_at, outcome=item.outcome, site=item.site
            )
            for item in items
        ],
    )
    stored = sum(1 for r in results if r.stored)
    return {
        "stored": stored,
        "refused": len(results) - stored,
        "results": [dataclasses.asdict(r) for r in results],
    }
