"""Schemes, card types, occupations, qualifications and institutes: public reference data."""

from __future__ import annotations

from fastapi import APIRouter

from skillcard.services.registry import registry
from skillcard.web.api.schemas import (
    ERRORS,
    CardTypePublic,
    InstitutePublic,
    OccupationPublic,
    QualificationPublic,
    SchemePublic,
)
from skillcard.web.deps import Uows

router = APIRouter(tags=["registry"], responses=ERRORS)


@router.get("/schemes", response_model=list[SchemePublic])
def list_schemes(uows: Uows):
    return registry.list_schemes(uow=uows(read_only=True))


@router.get("/schemes/{code}", response_model=SchemePublic)
def get_scheme(code: str, uows: Uows):
    return registry.get_scheme(uow=uows(read_only=True), code=code)


@router.get("/schemes/{code}/card-types", response_model=list[CardTypePublic])
def card_types(code: str, uows: Uows):
    return registry.card_types_of(uow=uows(read_only=True), scheme_code=code)


@router.get("/schemes/{code}/occupations", response_model=list[OccupationPublic])
def occupations(code: str, uows: Uows):
    return registry.occupations_of(uow=uows(read_only=True), scheme_code=code)


@router.get("/qualifications", response_model=list[QualificationPublic])
def qualifications(uows: Uows):
    return registry.qualifications(uow=uows(read_only=True))


@router.get("/institutes", response_model=list[InstitutePublic])
def institutes(uows: Uows):
    return registry.institutes(uow=uows(read_only=True))
