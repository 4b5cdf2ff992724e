"""Cardholders' records: registering a holder, reading a record, adding a qualification."""

from __future__ import annotations

from fastapi import APIRouter

from skillcard.services.registry import cardholders
from skillcard.web.api.schemas import (
    ERRORS,
    CardholderCreate,
    CardholderCreated,
    CardholderPublic,
    HeldQualificationIn,
)
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(prefix="/cardholders", tags=["cardholders"], responses=ERRORS)


@router.post("", response_model=CardholderCreated, status_code=201)
def register(body: CardholderCreate, who: ApiWho, uows: Uows):
    holder_id = cardholders.register_cardholder(
        uow=uows(),
        who=who,
        given_names=body.given_names,
        surname=body.surname,
        date_of_birth=body.date_of_birth,
        email=body.email,
    )
    return {"id": holder_id}


@router.get("/{cardholder_id}", response_model=CardholderPublic)
def record(cardholder_id: int, who: ApiWho, uows: Uows):
    return cardholders.cardholder_record(
        uow=uows(read_only=True), who=who, cardholder_id=cardholder_id
    )


@router.post("/{cardholder_id}/qualifications", status_code=204)
def add_qualification(cardholder_id: int, body: HeldQualificationIn, who: ApiWho, uows: Uows):
    cardholders.add_qualification(
        uow=uows(),
        who=who,
        cardholder_id=cardholder_id,
        qualification_code=body.qualification,
        achieved_on=body.achieved_on,
        certificate_number=body.certificate_number,
    )
