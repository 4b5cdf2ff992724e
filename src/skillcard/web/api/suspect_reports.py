"""Reports of suspect cards (issue 17 item 5).

- ``POST /checks/reports``: any checker, signed in or not, reports a card that looks wrong
  (multipart: number, scheme, reason, details, photo); the answer is a receipt, never the
  card's outcome. Rate limited per client (anonymous) or per user.
- ``GET  /suspect-reports``: the open reports of the admin's scheme;
- ``GET  /suspect-reports/{receipt}`` and ``.../photo``: one report and its photo;
- ``POST /suspect-reports/{receipt}/decision``: dismiss, suspend or revoke.
Only the issuing scheme's admins (and the hub's) read a report; anyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from skillcard.adapters.photos import MAX_UPLOAD_BYTES, ReportPhotoStore
from skillcard.services.checks import suspect_reports
from skillcard.web.abuse import limit_suspect_reports
from skillcard.web.api.schemas import ERRORS, ErrorBody
from skillcard.web.deps import AnonymousClient, ApiWho, Limiter, OptionalApiWho, Uows

router = APIRouter(
    tags=["suspect reports"],
    responses={**ERRORS, 429: {"model": ErrorBody, "description": "too many reports"}},
)


class ReceiptPublic(BaseModel):
    receipt: str = Field(description="quote it if you contact the scheme")
    message: str = Field(description='always "report received"')


class ReportPublic(BaseModel):
    receipt: str
    scheme_code: str
    card_number: str
    on_record: bool
    holder_name: str
    card_state: str
    reason: str
    details: str
    has_photo: bool
    reported_at: dt.datetime
    signed_in_reporter: bool
    state: str
    decided_at: dt.datetime | None
    decided_by: str
    decision_note: str


class Decision(BaseModel):
    action: str = Field(max_length=20, description="dismiss, suspend or revoke")
    note: str = Field("", max_length=500)


def report_photos(request: Request) -> ReportPhotoStore:
    return ReportPhotoStore(request.app.state.files)


def read_upload(photo: UploadFile | None) -> bytes | None:
    """At most one byte over the limit is read: the check refuses it as too large."""
    if photo is None or not photo.filename:
        return None
    return photo.file.read(MAX_UPLOAD_BYTES + 1)


@router.post("/checks/reports", response_model=ReceiptPublic, status_code=201)
def report(
    request: Request,
    uows: Uows,
    who: OptionalApiWho,
    limiter: Limiter,
    client: AnonymousClient,
    number: Annotated[str, Form(min_length=1, max_length=40)],
    reason: Annotated[
        str,
        Form(max_length=20, description="photo_mismatch, looks_forged, details_differ, other"),
    ],
    scheme: Annotated[str, Form(max_length=20)] = "",
    details: Annotated[str, Form(max_length=1000)] = "",
    photo: Annotated[UploadFile | None, File(description="JPEG or PNG, at most 5 MB")] = None,
):
    """Report a card that looks wrong. The answer says the report was received, and nothing
    about the card."""
    limit_suspect_reports(request, limiter, client, who.user_id if who else None)
    receipt = suspect_reports.report_suspect_card(
        uow=uows(),
        photos=report_photos(request),
        who=who,
        number=number,
        scheme_code=scheme or None,
        reason=reason,
        details=details,
        photo=read_upload(photo),
    )
    return ReceiptPublic(receipt=receipt.receipt, message=receipt.message)


@router.get("/suspect-reports", response_model=list[ReportPublic])
def queue(who: ApiWho, uows: Uows, scheme: Annotated[str | None, Query(max_length=20)] = None):
    return suspect_reports.open_reports(uow=uows(read_only=True), who=who, scheme_code=scheme)


@router.get("/suspect-reports/{receipt}", response_model=ReportPublic)
def show(receipt: str, who: ApiWho, uows: Uows):
    return suspect_reports.show_report(uow=uows(read_only=True), who=who, receipt=receipt)


@router.get("/suspect-reports/{receipt}/photo")
def photo(request: Request, receipt: str, who: ApiWho, uows: Uows):
    data = suspect_reports.report_photo(
        uow=uows(read_only=True), photos=report_photos(request), who=who, receipt=receipt
    )
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/suspect-reports/{receipt}/decision", response_model=ReportPublic)
def decide(receipt: str, body: Decision, who: ApiWho, uows: Uows):
    return suspect_reports.decide_report(
        uow=uows(), who=who, receipt=receipt, action=body.action, note=body.note
    )
