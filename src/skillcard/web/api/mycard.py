"""The API of MyCard: eligibility, CPD, applications and the CPD audit sample."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from skillcard.adapters.evidence_store import EvidenceStore
from skillcard.services.mycard import cpd, cpd_audit
from skillcard.services.registry import applications, eligibility
from skillcard.services.registry.applications import ApplicationView
from skillcard.web.api import mycard_review
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(tags=["mycard"], responses=ERRORS)
router.include_router(mycard_review.router)


class ReasonOut(BaseModel):
    met: bool
    text: str
    pending: bool


class DecisionOut(BaseModel):
    rule: str
    title: str
    card_type: str
    eligible: bool
    reasons: list[ReasonOut]


class CpdIn(BaseModel):
    activity_on: dt.date
    activity_type: str = Field(max_length=40)
    title: str = Field(max_length=200)
    hours: float
    provider: str = Field("", max_length=200)
    learned: str = Field("", max_length=4000)
    reflection: str = Field("", max_length=4000)


class CpdEntryOut(BaseModel):
    id: int
    activity_on: dt.date
    activity_type: str
    title: str
    provider: str
    hours: float
    status: str
    evidence: list[int]


class CpdLogOut(BaseModel):
    cardholder_id: int
    year: int
    target_hours: float
    hours: float
    verified_hours: float
    by_month: list[float]
    entries: list[CpdEntryOut]


class Created(BaseModel):
    id: int


class ApplicationIn(BaseModel):
    scheme: str = Field(max_length=20)
    occupation: str = Field(max_length=60)
    renews_card: str | None = Field(None, max_length=40)


class ApplicationOut(BaseModel):
    id: int
    state: str
    kind: str
    scheme: str
    card_type: str
    message: str
    card_number: str | None
    decision: DecisionOut
    evidence: list[int]


class DecisionIn(BaseModel):
    action: Literal["verifying", "refer", "reject", "approve"]
    message: str = Field("", max_length=1000)
    override_reason: str = Field(
        "", max_length=1000, description="approve although rules are unmet, saying why"
    )


class SampleIn(BaseModel):
    scheme: str = Field(max_length=20)
    year: int
    share_percent: float = Field(cpd_audit.DEFAULT_SHARE_PERCENT, gt=0, le=100)
    seed: int | None = Field(None, ge=0, lt=2**48)


def _app_out(view: ApplicationView) -> dict:
    a = view.application
    return {
        "id": a.id,
        "state": str(a.state),
        "kind": a.kind,
        "scheme": view.scheme_code,
        "card_type": view.card_type_code,
        "message": a.message,
        "card_number": view.card_number,
        "decision": view.decision,
        "evidence": [f.id for f in view.evidence],
    }


@router.get("/cardholders/{cardholder_id}/eligibility", response_model=DecisionOut)
def check_eligibility(cardholder_id: int, scheme: str, occupation: str, who: ApiWho, uows: Uows):
    """Every reason, met and unmet, for one holder and one occupation (or card type)."""
    return eligibility.check_eligibility(
        uow=uows(read_only=True),
        who=who,
        cardholder_id=cardholder_id,
        scheme_code=scheme[:20],
        code=occupation[:60],
    )


@router.get("/cardholders/{cardholder_id}/cpd", response_model=CpdLogOut)
def cpd_log(cardholder_id: int, who: ApiWho, uows: Uows, year: int | None = None):
    log = cpd.cpd_log(uow=uows(read_only=True), who=who, cardholder_id=cardholder_id, year=year)
    p = log.progress
    return {
        "cardholder_id": cardholder_id,
        "year": p.year,
        "target_hours": p.target_hours,
        "hours": p.hours,
        "verified_hours": p.verified_hours,
        "by_month": list(p.by_month),
        "entries": [
            {
                "id": e.record.id,
                "activity_on": e.record.activity_on,
                "activity_type": str(e.record.activity_type),
                "title": e.record.title,
                "provider": e.record.provider,
                "hours": e.record.hours,
                "status": e.record.status,
                "evidence": [f.id for f in e.evidence],
            }
            for e in log.entries
        ],
    }


@router.post("/cardholders/{cardholder_id}/cpd", response_model=Created, status_code=201)
def record_cpd(cardholder_id: int, body: CpdIn, who: ApiWho, uows: Uows, request: Request):
    """Log an activity (self-declared); evidence files are added on the record's page."""
    record_id = cpd.record_cpd(
        uow=uows(),
        who=who,
        store=EvidenceStore(request.app.state.files),
        cardholder_id=cardholder_id,
        **body.model_dump(),
    )
    return {"id": record_id}


@router.get("/evidence/{evidence_id}", response_class=Response)
def evidence(evidence_id: int, who: ApiWho, uows: Uows, request: Request):
    found, data = cpd.evidence_bytes(
        uow=uows(read_only=True),
        who=who,
        store=EvidenceStore(request.app.state.files),
        evidence_id=evidence_id,
    )
    return Response(
        data, media_type=found.media_type, headers={"X-Content-Type-Options": "nosniff"}
    )


@router.post("/applications", response_model=Created, status_code=201)
def start_application(body: ApplicationIn, who: ApiWho, uows: Uows):
    app_id = applications.start_application(
        uow=uows(),
        who=who,
        scheme_code=body.scheme,
        occupation_code=body.occupation,
        renews_card_number=body.renews_card,
    )
    return {"id": app_id}


@router.get("/applications", response_model=list[ApplicationOut])
def list_applications(who: ApiWho, uows: Uows):
    """A holder's own applications; for a scheme admin, the queue waiting for a decision."""
    if who.role == "cardholder":
        views = applications.my_applications(uow=uows(read_only=True), who=who)
    else:
        views = applications.queue(uow=uows(read_only=True), who=who)
    return [_app_out(v) for v in views]


@router.get("/applications/{app_id}", response_model=ApplicationOut)
def show_application(app_id: int, who: ApiWho, uows: Uows):
    view = applications.show_application(uow=uows(read_only=True), who=who, application_id=app_id)
    return _app_out(view)


@router.post("/applications/{app_id}/submit", status_code=204)
def submit_application(app_id: int, who: ApiWho, uows: Uows):
    applications.submit_application(uow=uows(), who=who, application_id=app_id)


@router.post("/applications/{app_id}/decision", response_model=ApplicationOut)
def decide(app_id: int, body: DecisionIn, who: ApiWho, uows: Uows, request: Request):
    view = applications.decide_application(
        uow=uows(),
        who=who,
        application_id=app_id,
        action=body.action,
        message=body.message,
        override_reason=body.override_reason,
        public_url=request.app.state.settings.public_url,
    )
    return _app_out(view)


@router.post("/cpd-audits", status_code=201)
def sample(body: SampleIn, who: ApiWho, uows: Uows, request: Request) -> dict:
    """Draw a scheme's CPD audit sample for a year (once); the seed is stored and returned."""
    result = cpd_audit.sample(
        uow=uows(),
        who=who,
        scheme_code=body.scheme,
        year=body.year,
        share_percent=body.share_percent,
        seed=body.seed,
        public_url=request.app.state.settings.public_url,
    )
    return {
        "id": result.audit_id,
        "scheme": result.scheme_code,
        "year": result.year,
        "seed": result.seed,
        "share_percent": result.share_percent,
        "population": result.population,
        "sampled": result.cardholder_ids,
    }
