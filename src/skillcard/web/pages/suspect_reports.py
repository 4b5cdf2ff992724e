"""Reporting a suspect card, and the scheme admins' queue of reports.

- ``GET/POST /check/report``: anyone checking a card reports it (reason, optional details and
  photo); the answer is a receipt and "report received", never the card's outcome;
- ``GET  /admin/suspect-reports``: the open reports of the admin's scheme;
- ``GET  /admin/suspect-reports/{receipt}`` (and ``/photo``): one report, its photo;
- ``POST /admin/suspect-reports/{receipt}``: dismiss, or suspend or revoke the card.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from skillcard.domain.suspect_reports import SuspectReason
from skillcard.errors import RateLimited, SkillcardError
from skillcard.services.checks import suspect_reports
from skillcard.web.abuse import limit_suspect_reports
from skillcard.web.api.suspect_reports import read_upload, report_photos
from skillcard.web.deps import AnonymousClient, Limiter, OptionalPageSession, PageSession, Uows
from skillcard.web.pages.forms import (
    anonymous_form_token,
    check_anonymous_form,
    check_csrf,
    keep_anonymous_form_token,
)
from skillcard.web.pages.rendering import render

router = APIRouter()
REASONS = [r.value for r in SuspectReason]


def _form_page(request: Request, session, status: int = 200, headers=None, **context):
    who, csrf = session or (None, "")
    token = csrf or anonymous_form_token(request)
    base = {
        "who": who,
        "csrf_token": token,
        "reasons": REASONS,
        "form": {"number": "", "scheme": "", "reason": "", "details": ""},
        "errors": {},
        "receipt": None,
    }
    response = render(request, "check_report.html", {**base, **context}, status=status)
    response.headers.update(headers or {})
    if session is None:
        keep_anonymous_form_token(request, response, token)
    return response


@router.get("/check/report")
def report_form(request: Request, session: OptionalPageSession, number: str = "", scheme: str = ""):
    form = {"number": number[:40], "scheme": scheme[:20], "reason": "", "details": ""}
    return _form_page(request, session, form=form)


@router.post("/check/report")
def report(
    request: Request,
    uows: Uows,
    limiter: Limiter,
    client: AnonymousClient,
    session: OptionalPageSession,
    number: Annotated[str, Form(max_length=40)] = "",
    scheme: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
    details: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
):
    who = session[0] if session else None
    if session:
        check_csrf(session[1], csrf_token)
    else:
        check_anonymous_form(request, csrf_token)
    form = {"number": number, "scheme": scheme, "reason": reason, "details": details}
    if not number.strip():
        return _form_page(
            request, session, 422, form=form, errors={"number": "Enter the card number"}
        )
    try:
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
    except RateLimited as limited:
        errors = {"number": limited.message}
        return _form_page(request, session, 429, limited.headers, form=form, errors=errors)
    except SkillcardError as problem:
        if problem.http_status in (401, 403):
            raise
        field = problem.field or ("photo" if problem.code == "photo_refused" else "number")
        return _form_page(
            request, session, problem.http_status, form=form, errors={field: problem.message}
        )
    return _form_page(request, session, 201, receipt=receipt, form=form)


@router.get("/admin/suspect-reports")
def queue(request: Request, session: PageSession, uows: Uows):
    who, csrf = session
    waiting = suspect_reports.open_reports(uow=uows(read_only=True), who=who)
    return render(
        request, "admin_suspect_reports.html", {"who": who, "csrf_token": csrf, "reports": waiting}
    )


def _report_page(request: Request, session, uows: Uows, receipt: str, status=200, **context):
    who, csrf = session
    view = suspect_reports.show_report(uow=uows(read_only=True), who=who, receipt=receipt)
    base = {"who": who, "csrf_token": csrf, "report": view, "error": "", "note": "", "done": ""}
    return render(request, "admin_suspect_report.html", {**base, **context}, status=status)


@router.get("/admin/suspect-reports/{receipt}")
def report_page(request: Request, receipt: str, session: PageSession, uows: Uows, done: str = ""):
    return _report_page(request, session, uows, receipt, done=done[:20])


@router.get("/admin/suspect-reports/{receipt}/photo")
def report_photo(request: Request, receipt: str, session: PageSession, uows: Uows):
    who, _ = session
    data = suspect_reports.report_photo(
        uow=uows(read_only=True), photos=report_photos(request), who=who, receipt=receipt
    )
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/admin/suspect-reports/{receipt}")
def decide(
    request: Request,
    receipt: str,
    session: PageSession,
    uows: Uows,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    action: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        view = suspect_reports.decide_report(
            uow=uows(), who=who, receipt=receipt, action=action, note=note
        )
    except SkillcardError as problem:
        if problem.http_status in (401, 403, 404):
            raise
        return _report_page(
            request, session, uows, receipt, problem.http_status, error=problem.message, note=note
        )
    return RedirectResponse(
        f"/admin/suspect-reports/{view.receipt}?done={view.state}", status_code=303
    )
