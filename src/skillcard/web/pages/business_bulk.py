"""Pages of Business Check: bulk CSV checks with live progress (htmx polls the job), and the
audit reports (PDF and CSV downloads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from skillcard.errors import InvalidInput
from skillcard.services.business import bulk_check, bulk_results, business, reports
from skillcard.services.clock import card_today
from skillcard.web.business_uploads import result_download, start_upload
from skillcard.web.deps import BudgetDep, PageSession, Uows
from skillcard.web.pages.business_common import FIXABLE, status_of
from skillcard.web.pages.business_common import page as _page
from skillcard.web.pages.business_common import problem as _problem
from skillcard.web.pages.forms import check_csrf
from skillcard.web.reporting import build as build_report
from skillcard.web.reporting import download as report_download

router = APIRouter()  # included by pages/business.py, under /business


# --- bulk checks -----------------------------------------------------------------------------


@router.get("/bulk")
def bulk_form(request: Request, uows: Uows, session: PageSession):
    jobs = bulk_check.recent_jobs(uow=uows(read_only=True), who=session[0])
    return _page(request, "business_bulk.html", session, jobs=jobs)


@router.post("/bulk")
def bulk_upload(
    request: Request,
    uows: Uows,
    session: PageSession,
    budget: BudgetDep,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_csrf(session[1], csrf_token)
    try:
        job = start_upload(request, file, session[0], budget)
    except FIXABLE as error:
        jobs = bulk_check.recent_jobs(uow=uows(read_only=True), who=session[0])
        status, errors = status_of(error), _problem(error, "file")
        return _page(request, "business_bulk.html", session, status, jobs=jobs, errors=errors)
    return RedirectResponse(f"/business/bulk/{job.id}", status_code=303)


ROWS_PER_PAGE = 50


@router.get("/bulk/{job_id}")
def bulk_job(request: Request, job_id: str, uows: Uows, session: PageSession, page: str = "1"):
    """The job's progress; once done, beside the download, the rows that need a person (not
    valid, or with an error), a page of them at a time."""
    job = bulk_check.job_status(uow=uows(read_only=True), who=session[0], job_id=job_id[:36])
    template = "_business_job.html" if request.headers.get("hx-request") else "business_job.html"
    look = None
    if job.status == "done":
        number = int(page) if page.isdigit() and len(page) < 7 else 1
        look = bulk_results.rows_to_look_at(
            request.app.state.files, job.id, page=number, per_page=ROWS_PER_PAGE
        )
    return _page(request, template, session, job=job, look=look, per_page=ROWS_PER_PAGE)


@router.get("/bulk/{job_id}/result.csv")
def bulk_result(request: Request, job_id: str, uows: Uows, session: PageSession):
    job_id = job_id[:36]
    parts = bulk_results.result_to_download(
        uow=uows(), who=session[0], job_id=job_id, files=request.app.state.files
    )
    return result_download(parts, job_id)


# --- reports ----------------------------------------------------------------------------------


@router.get("/reports")
def reports_page(
    request: Request, uows: Uows, session: PageSession, start: str = "", end: str = ""
):
    business.business_id_for(session[0])
    today = card_today()
    try:
        first, last = reports.period(start[:10], end[:10], today)
    except InvalidInput as error:
        return _page(
            request,
            "business_reports.html",
            session,
            422,
            report=None,
            form={"start": start, "end": end},
            errors=_problem(error, "start"),
        )
    made = build_report(request, uow=uows(), who=session[0], start=first, end=last, form="view")
    return _page(
        request,
        "business_reports.html",
        session,
        report=made,
        pdf_max_rows=request.app.state.settings.report_pdf_max_rows,
        form={"start": first.isoformat(), "end": last.isoformat()},
    )


@router.get("/reports/download")
def download(
    request: Request,
    uows: Uows,
    session: PageSession,
    start: str = "",
    end: str = "",
    format: str = "pdf",
):
    if format not in ("pdf", "csv"):
        raise InvalidInput("format is pdf or csv")
    first, last = reports.period(start[:10], end[:10], card_today())
    return report_download(request, uow=uows(), who=session[0], start=first, end=last, form=format)
