"""The API of MyCard's declarations and reviews: qualifications, institute memberships (PQP),
evidence added to a CPD entry, and the CPD audit's cases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel, Field

from skillcard.adapters.evidence_store import MAX_EVIDENCE_BYTES, EvidenceStore
from skillcard.services.mycard import cpd, cpd_audit
from skillcard.services.registry import qualifications
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(tags=["mycard"], responses=ERRORS)


class QualificationClaimIn(BaseModel):
    qualification: str = Field(max_length=60)
    achieved_on: dt.date
    certificate_number: str = Field("", max_length=100)


class ReviewIn(BaseModel):
    verified: bool
    reason: str = Field("", max_length=500)


class MembershipIn(BaseModel):
    institute: str = Field(max_length=20)
    number: str = Field(max_length=40)
    grade: str = Field(max_length=100)


class LapseIn(BaseModel):
    lapsed_on: dt.date


class CaseReviewIn(BaseModel):
    accept: bool
    message: str = Field("", max_length=2000)


class AnswerIn(BaseModel):
    text: str = Field(max_length=4000)


def _store(request: Request) -> EvidenceStore:
    return EvidenceStore(request.app.state.files)


@router.post("/qualification-claims", status_code=201)
def declare_qualification(body: QualificationClaimIn, who: ApiWho, uows: Uows, request: Request):
    """A holder declares a qualification by its certificate number (self-declared)."""
    held = qualifications.declare_qualification(
        uow=uows(),
        who=who,
        store=_store(request),
        qualification_code=body.qualification,
        achieved_on=body.achieved_on,
        certificate_number=body.certificate_number,
    )
    return {"id": held}


@router.post("/qualification-claims/{held_id}/review", status_code=204)
def review_qualification(held_id: int, body: ReviewIn, who: ApiWho, uows: Uows):
    qualifications.review_qualification(
        uow=uows(), who=who, held_id=held_id, verified=body.verified, reason=body.reason
    )


@router.post("/memberships", status_code=201)
def declare_membership(body: MembershipIn, who: ApiWho, uows: Uows):
    """A holder registers an institute membership; the number must match its format."""
    membership = qualifications.declare_membership(
        uow=uows(), who=who, institute_code=body.institute, number=body.number, grade=body.grade
    )
    return {"id": membership}


@router.post("/memberships/{membership_id}/verify", status_code=204)
def verify_membership(membership_id: int, who: ApiWho, uows: Uows):
    qualifications.verify_membership(uow=uows(), who=who, membership_id=membership_id)


@router.post("/memberships/{membership_id}/lapse")
def lapse_membership(membership_id: int, body: LapseIn, who: ApiWho, uows: Uows) -> dict:
    """Record a lapse; answers with the holder's PQP cards that are now suspendable."""
    cards = qualifications.lapse_membership(
        uow=uows(), who=who, membership_id=membership_id, lapsed_on=body.lapsed_on
    )
    return {"suspendable_cards": cards}


@router.post("/cpd/{record_id}/evidence", status_code=201)
def add_evidence(
    record_id: int,
    who: ApiWho,
    uows: Uows,
    request: Request,
    files: Annotated[list[UploadFile], File()],
) -> dict:
    """Add evidence files (PDF, JPEG, PNG, HEIC; 10 MB each) to one of the holder's entries."""
    read = [(f.filename or "evidence", f.file.read(MAX_EVIDENCE_BYTES + 1)) for f in files]
    added = cpd.add_cpd_evidence(
        uow=uows(), who=who, store=_store(request), record_id=record_id, files=read
    )
    return {"added": added}


@router.get("/cpd-audits/cases")
def audit_cases(who: ApiWho, uows: Uows) -> list[dict]:
    """An assessor's (their scheme's sampled records), or a holder's own, audit cases."""
    if who.role == "cardholder":
        cases = cpd_audit.holder_cases(uow=uows(read_only=True), who=who)
    else:
        cases = cpd_audit.assessor_cases(uow=uows(read_only=True), who=who)
    return [
        {
            "id": c.case.id,
            "scheme": c.scheme_code,
            "year": c.year,
            "cardholder_id": c.case.cardholder_id,
            "state": str(c.case.state),
            "request": c.case.request,
            "answer": c.case.answer,
        }
        for c in cases
    ]


@router.post("/cpd-audits/cases/{case_id}/review", status_code=204)
def review_case(case_id: int, body: CaseReviewIn, who: ApiWho, uows: Uows, request: Request):
    cpd_audit.review(
        uow=uows(),
        who=who,
        case_id=case_id,
        accept=body.accept,
        message=body.message,
        public_url=request.app.state.settings.public_url,
    )


@router.post("/cpd-audits/cases/{case_id}/answer", status_code=204)
def answer_case(case_id: int, body: AnswerIn, who: ApiWho, uows: Uows):
    cpd_audit.answer(uow=uows(), who=who, case_id=case_id, text=body.text)
