"""Cards and their lifecycle actions. Every route needs a bearer token; the services decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from skillcard.domain.provenance import Source
from skillcard.services.registry import cards
from skillcard.web.api.schemas import ERRORS, CardIssue, CardPublic, Reason
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(prefix="/cards", tags=["cards"], responses=ERRORS)
SchemeQuery = Annotated[str | None, Query(max_length=20, description="scheme code, if known")]


@router.get("", response_model=list[CardPublic])
def search(
    who: ApiWho,
    uows: Uows,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    scheme: SchemeQuery = None,
):
    """Cards whose number starts with ``q``, or whose holder's surname is ``q``."""
    return uows.replica_first(
        lambda uow: cards.search_cards(uow=uow, who=who, query=q, scheme_code=scheme)
    )


@router.post("", response_model=CardPublic, status_code=201)
def issue(body: CardIssue, who: ApiWho, uows: Uows):
    return cards.issue_card(
        uow=uows(),
        who=who,
        cardholder_id=body.cardholder_id,
        scheme_code=body.scheme,
        card_type_code=body.card_type,
        occupation_code=body.occupation,
        issued_on=body.issued_on,
        sources=[Source.of(s.kind, s.reference, s.name) for s in body.sources],
    )


@router.get("/{number}", response_model=CardPublic)
def show(number: str, who: ApiWho, uows: Uows, scheme: SchemeQuery = None):
    return cards.show_card(uow=uows(read_only=True), who=who, number=number, scheme_code=scheme)


@router.post("/{number}/renew", response_model=CardPublic)
def renew(number: str, who: ApiWho, uows: Uows, scheme: SchemeQuery = None):
    return cards.renew_card(uow=uows(), who=who, number=number, scheme_code=scheme)


@router.post("/{number}/replace", response_model=CardPublic, status_code=201)
def replace(number: str, body: Reason, who: ApiWho, uows: Uows, scheme: SchemeQuery = None):
    """Replace a lost, stolen or damaged card: ``reason`` is one of those three words."""
    return cards.replace_card(
        uow=uows(), who=who, number=number, reason=body.reason, scheme_code=scheme
    )


@router.post("/{number}/suspend", response_model=CardPublic)
def suspend(number: str, body: Reason, who: ApiWho, uows: Uows, scheme: SchemeQuery = None):
    return cards.suspend_card(
        uow=uows(), who=who, number=number, reason=body.reason, scheme_code=scheme
    )


@router.post("/{number}/reinstate", response_model=CardPublic)
def reinstate(number: str, body: Reason, who: ApiWho, uows: Uows, scheme: SchemeQuery = None):
    return cards.reinstate_card(
        uow=uows(), who=who, number=number, reason=body.reason, scheme_code=scheme
    )


@router.post("/{number}/revoke", response_model=CardPublic)
def revoke(number: str, body: Reason, who: ApiWho, uows: Uows, scheme: SchemeQuery = None):
    return cards.revoke_card(
        uow=uows(), who=who, number=number, reason=body.reason, scheme_code=scheme
    )
