"""The API of Business Check: an employer's own systems call it with a bearer token of one
of the business's users (POST /api/v1/tokens). Every route acts for the token's business."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from skillcard.services.business import (
    bulk_check,
    bulk_results,
    business,
    business_budget,
    business_checks,
    reports,
    webhooks,
    workforce,
)
from skillcard.services.clock import card_today
from skillcard.web.abuse import limit_registrations
from skillcard.web.api.schemas import ERRORS
from skillcard.web.business_uploads import result_download, start_upload
from skillcard.web.checking import limit_checks, public_answer, with_photo_url
from skillcard.web.deps import AnonymousClient, ApiWho, BudgetDep, Limiter, SettingsDep, Uows
from skillcard.web.reporting import build as build_report
from skillcard.web.reporting import download as report_download

router = APIRouter(prefix="/business", tags=["business"], responses=ERRORS)


class Registration(BaseModel):
    name: str = Field(max_length=200)
    company_number: str = Field(max_length=20, description="Companies House, e.g. 01234567")
    address: str = Field(max_length=500)
    admin_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


@router.post("/register", status_code=201)
def register(
    request: Request,
    body: Registration,
    uows: Uows,
    settings: SettingsDep,
    limiter: Limiter,
    client: AnonymousClient,
):
    """Register a business (free). Its admin confirms by the link e-mailed to them. A client
    may register a few businesses an hour (429 after that)."""
    limit_registrations(request, limiter, client)
    business_id = business.register_business(
        uow=uows(),
        public_url=settings.public_url,
        passwords=request.app.state.passwords,
        **body.model_dump(),
    )
    return {"id": business_id, "message": "check your e-mail for the confirmation link"}


class Token(BaseModel):
    token: str = Field(max_length=200)


@router.post("/confirm")
def confirm(body: Token, uows: Uows):
    return {"email": business.confirm_registration(uow=uows(), token=body.token)}


@router.get("")
def show(who: ApiWho, uows: Uows):
    """The business and its people."""
    found, people = business.business_people(uow=uows(read_only=True), who=who)
    return {
        "id": found.id,
        "name": found.name,
        "company_number": found.company_number,
        "address": found.address,
        "confirmed": found.confirmed,
        "approved": found.approved,
        "webhook_url": found.webhook_url,
        "people": [
            {
                "id": u.id,
                "email": u.email,
                "name": u.display_name,
                "role": u.role,
                "active": u.active,
            }
            for u in people
        ],
    }


@router.post("/{business_id}/approve")
def approve(business_id: int, who: ApiWho, uows: Uows):
    """The hub admin approves a business: its full check allowance applies at once (a newly
    registered business has a small one until then)."""
    name = business_budget.approve_business(uow=uows(), who=who, business_id=business_id)
    return {"id": business_id, "name": name, "approved": True}


class Invitation(BaseModel):
    email: str = Field(max_length=254)
    display_name: str = Field("", max_length=200)


@router.post("/checkers", status_code=201)
def invite(body: Invitation, who: ApiWho, uows: Uows, settings: SettingsDep):
    """Invite a colleague as a business checker (admins only): they get an e-mail link."""
    user_id = business.invite_checker(
        uow=uows(), who=who, public_url=settings.public_url, **body.model_dump()
    )
    return {"id": user_id}


@router.delete("/users/{user_id}", status_code=204)
def remove_user(user_id: int, who: ApiWho, uows: Uows):
    business.remove_user(uow=uows(), who=who, user_id=user_id)
    return Response(status_code=204)


class Webhook(BaseModel):
    url: str | None = Field(None, max_length=500)


@router.put("/webhook")
def set_webhook(body: Webhook, who: ApiWho, uows: Uows):
    """Alerts to a URL too, signed: X-Skillcard-Signature: sha256=HMAC-SHA256(secret, body).
    The secret is shown once, here. Only a public https address is accepted (422 otherwise);
    redirects are not followed."""
    return {"secret": webhooks.set_webhook(uow=uows(), who=who, url=body.url)}


def delivery_json(delivery) -> dict | None:
    if delivery is None:
        return None
    return {
        "event": delivery.event,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
    }


@router.get("/webhook")
def webhook_status(who: ApiWho, uows: Uows):
    """The webhook's address and its latest delivery: state (pending, delivered, failed:
    given up), attempts, the last HTTP status or error, and when it is tried next."""
    status = webhooks.webhook_status(uow=uows(read_only=True), who=who)
    return {"url": status.url, "last_delivery": delivery_json(status.last)}


@router.get("/workforce")
def list_workforce(
    who: ApiWho,
    uows: Uows,
    site: Annotated[str, Query(max_length=200)] = "",
    subcontractor: Annotated[str, Query(max_length=200)] = "",
    state: Annotated[str, Query(max_length=24)] = "",
):
    """The workforce with each card's state today, and the count of every state."""
    board = workforce.dashboard(
        uow=uows(read_only=True), who=who, site=site, subcontractor=subcontractor, state=state
    )
    return {
        "counts": {k.value: v for k, v in board.counts.items()},
        "workers": [
            {**dataclasses.asdict(r), "id": r.entry_id, "state": r.state.value} for r in board.rows
        ],
        "sites": board.sites,
        "subcontractors": board.subcontractors,
    }


class Worker(BaseModel):
    number: str = Field(max_length=40)
    surname: str = Field(max_length=100)
    scheme: str | None = Field(None, max_length=20)
    label: str = Field("", max_length=200)
    trade: str = Field("", max_length=200)
    site: str = Field("", max_length=200)
    subcontractor: str = Field("", max_length=200, description="the subcontractor's company")


@router.post("/workforce", status_code=201)
def add_worker(body: Worker, who: ApiWho, uows: Uows, budget: BudgetDep):
    """Add a card by its number and holder's surname; a mismatch is the check's no match.
    Draws on the business's check budget (429 once it is spent)."""
    fields = body.model_dump()
    scheme_code = fields.pop("scheme")
    entry_id = workforce.add_worker(
        uow=uows(), who=who, budget=budget, scheme_code=scheme_code, **fields
    )
    return {"id": entry_id}


@router.delete("/workforce/{entry_id}", status_code=204)
def remove_worker(entry_id: int, who: ApiWho, uows: Uows):
    workforce.remove_worker(uow=uows(), who=who, entry_id=entry_id)
    return Response(status_code=204)


class Where(BaseModel):
    site: str = Field("", max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    note: str = Field("", max_length=1000)
    face_confirmed: bool | None = Field(None, description="the face matches the card's photo")


class CheckRequest(Where):
    number: str = Field(max_length=40)
    surname: str = Field(max_length=100)
    scheme: str | None = Field(None, max_length=20)
    spot: bool = Field(False, description="a spot check on site: needs site, face_confirmed")


def _where(body: Where) -> business_checks.Where:
    return business_checks.Where(
        site=body.site,
        latitude=body.latitude,
        longitude=body.longitude,
        note=body.note,
        face_confirmed=body.face_confirmed,
    )


@router.post("/checks")
def check(
    body: CheckRequest,
    request: Request,
    who: ApiWho,
    uows: Uows,
    limiter: Limiter,
    client: AnonymousClient,
    budget: BudgetDep,
):
    """Check a card and keep it in the business's history; answers as GET /check does (and
    counts against the same signed-in allowance of checks, and the business's check budget)."""
    limit_checks(request, limiter, who=who, client=client)
    result = business_checks.check_for_business(
        uow=uows(),
        who=who,
        budget=budget,
        number=body.number,
        surname=body.surname,
        scheme_code=body.scheme,
        spot=body.spot,
        where=_where(body),
    )
    return public_answer(with_photo_url(request, result))


class OfflineCheck(Where):
    number: str = Field(max_length=40)
    surname: str = Field(max_length=100)
    scheme: str | None = Field(None, max_length=20)
    checked_at: dt.datetime = Field(description="when the phone made it (ISO 8601, zoned)")


@router.post("/checks/offline")
def sync_offline(
    who: ApiWho,
    uows: Uows,
    budget: BudgetDep,
    items: Annotated[list[OfflineCheck], Body(max_length=business_checks.MAX_OFFLINE)],
):
    """Checks a phone queued offline (at most 500), each recorded at its own time. Each draws
    on the business's check budget: a sync larger than what is left is refused whole (429)."""
    results = business_checks.sync_offline(
        uow=uows(),
        who=who,
        budget=budget,
        items=[
            business_checks.OfflineItem(
                number=i.number,
                surname=i.surname,
                scheme=i.scheme,
                checked_at=i.checked_at,
                where=_where(i),
            )
            for i in items
        ],
    )
    return {
        "stored": sum(r.stored for r in results),
        "results": [dataclasses.asdict(r) for r in results],
    }


def _check_json(c) -> dict:
    return {
        k: getattr(c, k)
        for k in (
            "checked_at",
            "method",
            "outcome",
            "scheme",
            "card_number",
            "holder_name",
            "checker",
            "site",
            "latitude",
            "longitude",
            "note",
            "face_confirmed",
            "synced_at",
            "bulk_job_id",
        )
    }


@router.get("/checks")
def history(
    request: Request,
    who: ApiWho,
    uows: Uows,
    start: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = "",
    end: Annotated[str, Query(max_length=10, description="YYYY-MM-DD, included")] = "",
):
    """The business's checks in a date range (default the last 30 days), oldest first."""
    first, last = reports.period(start, end, card_today())
    report = build_report(request, uow=uows(), who=who, start=first, end=last, form="view")
    return {"start": first, "end": last, "checks": [_check_json(c) for c in report.checks]}


def _job_json(job) -> dict:
    return {
        "id": job.id,
        "status": job.status,
        "filename": job.filename,
        "total_rows": job.total_rows,
        "done_rows": job.done_rows,
        "valid_rows": job.valid_rows,
        "error_rows": job.error_rows,
        "percent": job.percent,
        "message": job.message,
        "result_url": f"/api/v1/business/bulk/{job.id}/result" if job.status == "done" else None,
    }


@router.post("/bulk", status_code=202)
def bulk_upload(
    request: Request, who: ApiWho, budget: BudgetDep, file: Annotated[UploadFile, File()]
):
    """Upload a CSV (number, surname, optional scheme, optional label; up to 50,000 rows).
    Answers at once with the job; poll GET /bulk/{id} until ``status`` is done. Its rows are
    drawn from the business's checks for the day: a file with more rows than are left is
    refused (429), saying how many are left."""
    job = start_upload(request, file, who, budget)
    return _job_json(job)


@router.get("/bulk/{job_id}")
def bulk_status(job_id: str, who: ApiWho, uows: Uows):
    return _job_json(bulk_check.job_status(uow=uows(read_only=True), who=who, job_id=job_id))


@router.get("/bulk/{job_id}/result")
def bulk_result(job_id: str, request: Request, who: ApiWho, uows: Uows):
    """The result CSV: every row with its outcome or its error (410 once deleted)."""
    parts = bulk_results.result_to_download(
        uow=uows(), who=who, job_id=job_id, files=request.app.state.files
    )
    return result_download(parts, job_id)


@router.get("/reports")
def report(
    request: Request,
    who: ApiWho,
    uows: Uows,
    start: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = "",
    end: Annotated[str, Query(max_length=10, description="YYYY-MM-DD, included")] = "",
    format: Annotated[str, Query(pattern="^(pdf|csv)$")] = "pdf",
):
    """The audit report of a date range as PDF or CSV (making it is itself logged). A PDF
    lists at most 5,000 checks (a setting) and says so: the CSV has them all. A few reports
    are made at once per server: beyond, 429 with Retry-After."""
    first, last = reports.period(start, end, card_today())
    return report_download(request, uow=uows(), who=who, start=first, end=last, form=format)
