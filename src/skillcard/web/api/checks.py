"""Smart Check by card number and surname: public, rate limited, every check logged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from skillcard.services import checks
from skillcard.web.api.schemas import ERRORS, ErrorBody
from skillcard.web.checking import limit_checks, public_answer
from skillcard.web.deps import AnonymousClient, Limiter, OptionalApiWho, Uows

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
    card_type: str | None
    occupation: str | None
    qualifications: list[str] = Field(description="titles of qualifications the scheme checked")
    expires_on: dt.date | None


@router.get("/check", response_model=CheckAnswer)
def check(
    request: Request,
    uows: Uows,
    limiter: Limiter,
    client: AnonymousClient,
    who: OptionalApiWho,
    number: Annotated[str, Query(min_length=1, max_length=40, description="the card number")],
    surname: Annotated[str, Query(min_length=1, max_length=100, description="on the card")],
    scheme: Annotated[str | None, Query(max_length=20, description="scheme code")] = None,
    site: Annotated[
        str | None, Query(max_length=200, description="where (signed-in checkers)")
    ] = None,
):
    """Check a card of any scheme by its number and its holder's surname.

    No token is needed. Anonymous clients get a small allowance of checks per minute; a
    bearer token (a business checker's, say) gets a larger one and is named as the checker
    in the cardholder's record. A wrong surname and an unknown number give the same
    ``no_match`` answer.
    """
    limit_checks(request, limiter, who=who, client=client)
    result = checks.check_card(
        uow=uows(),
        number=number,
        surname=surname,
        scheme_code=scheme,
        who=who,
        client=client,
        site=site,
    )
    return public_answer(result)
