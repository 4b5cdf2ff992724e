"""Pages of MyCard for the cardholder: CPD with evidence, applications, qualifications.

The scheme admins' and assessors' pages are in application_admin.py, included here. Every page
calls a service, which checks who may see or change what.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from skillcard.adapters.evidence_store import SUFFIX
from skillcard.domain.cpd import TYPE_LABELS
from skillcard.errors import InvalidInput, SkillcardError
from skillcard.services.clock import card_today
from skillcard.services.mycard import cpd, cpd_audit
from skillcard.services.mycard.cpd_export import cpd_csv, cpd_pdf
from skillcard.services.registry import applications, cardholders, eligibility
from skillcard.services.registry import registry as registry_service
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages import application_admin, qualification_pages
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.mycard_common import (
    Csrf,
    Files,
    download,
    evidence_store,
    form_date,
    form_page,
    holder_id,
    raise_for_error_page,
    read_files,
)
from skillcard.web.pages.rendering import render

router = APIRouter()
router.include_router(application_admin.router)
router.include_router(qualification_pages.router)


def _own_cpd_log(who, uows):
    return cpd.cpd_log(uow=uows(read_only=True), who=who, cardholder_id=holder_id(who))


def _cpd_page(request, who, csrf, uows, *, problem=None, field="", form=None, done=""):
    log = _own_cpd_log(who, uows)
    cases = cpd_audit.holder_cases(uow=uows(read_only=True), who=who)
    return form_page(
        request,
        "cpd_record.html",
        who,
        csrf,
        problem,
        log=log,
        cases=cases,
        types=TYPE_LABELS,
        today=card_today().isoformat(),
        field=field,
        form=form or {},
        done=done,
    )


@router.get("/my/cpd")
def cpd_page(request: Request, session: PageSession, uows: Uows, done: str = ""):
    who, csrf = session
    return _cpd_page(request, who, csrf, uows, done="Your activity was saved." if done else "")


# The CPD record's fields (as the service names them) by the form's element ids.
_FORM_ID_OF = {
    "hours": "cpd-hours",
    "activity_on": "cpd-date",
    "title": "cpd-title",
    "activity_type": "cpd-type",
    "learned": "cpd-learned",
    "evidence": "cpd-files",
}


@router.post("/my/cpd")
def add_cpd(
    request: Request,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    activity_on: Annotated[str, Form(max_length=20)] = "",
    activity_type: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    provider: Annotated[str, Form(max_length=300)] = "",
    hours: Annotated[str, Form(max_length=20)] = "",
    learned: Annotated[str, Form(max_length=5000)] = "",
    reflection: Annotated[str, Form(max_length=5000)] = "",
    evidence: Files = None,
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    form = {
        "activity_on": activity_on,
        "activity_type": activity_type,
        "title": title,
        "provider": provider,
        "hours": hours,
        "learned": learned,
        "reflection": reflection,
    }
    try:
        day = form_date(
            activity_on, "enter the date of the activity, like 2026-03-14", "activity_on"
        )
        cpd.record_cpd(
            uow=uows(),
            who=who,
            store=evidence_store(request),
            cardholder_id=holder_id(who),
            activity_on=day,
            activity_type=activity_type,
            title=title,
            hours=hours,
            provider=provider,
            learned=learned,
            reflection=reflection,
            files=read_files(evidence),
        )
    except SkillcardError as problem:
        raise_for_error_page(problem, (401, 403, 404))
        field = _FORM_ID_OF.get(problem.field or "", "cpd-title")
        return _cpd_page(request, who, csrf, uows, problem=problem, field=field, form=form)
    return RedirectResponse("/my/cpd?done=1", status_code=303)


@router.post("/my/cpd/{record_id}/evidence")
def add_cpd_evidence(
    request: Request,
    record_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    evidence: Files = None,
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        cpd.add_cpd_evidence(
            uow=uows(),
            who=who,
            store=evidence_store(request),
            record_id=record_id,
            files=read_files(evidence),
        )
    except InvalidInput as problem:
        return _cpd_page(request, who, csrf, uows, problem=problem, field=f"more-{record_id}")
    return RedirectResponse("/my/cpd?done=1", status_code=303)


@router.get("/my/cpd/export.csv")
def export_csv(session: PageSession, uows: Uows):
    who, _ = session
    return download(cpd_csv(_own_cpd_log(who, uows)), "text/csv; charset=utf-8", "cpd-record.csv")


@router.get("/my/cpd/export.pdf")
def export_pdf(session: PageSession, uows: Uows):
    who, _ = session
    return download(cpd_pdf(_own_cpd_log(who, uows)), "application/pdf", "cpd-record.pdf")


@router.post("/my/cpd/audit/{case_id}/answer")
def answer_audit(
    request: Request,
    case_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    answer: Annotated[str, Form(max_length=4000)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        cpd_audit.answer(uow=uows(), who=who, case_id=case_id, text=answer)
    except InvalidInput as problem:
        return _cpd_page(request, who, csrf, uows, problem=problem, field=f"answer-{case_id}")
    return RedirectResponse("/my/cpd", status_code=303)


@router.get("/evidence/{evidence_id}")
def evidence_file(request: Request, evidence_id: int, session: PageSession, uows: Uows):
    """A stored evidence file, for those who may see the holder's record (else 404)."""
    who, _ = session
    found, data = cpd.evidence_bytes(
        uow=uows(read_only=True), who=who, store=evidence_store(request), evidence_id=evidence_id
    )
    return Response(
        data,
        media_type=found.media_type,
        headers={
            # Pictures show in the page; a PDF is downloaded, never run in this origin.
            "Content-Disposition": (
                f"{'attachment' if found.media_type == 'application/pdf' else 'inline'}; "
                f'filename="evidence-{found.id}{SUFFIX[found.media_type]}"'
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'",
        },
    )


# -- applications ------------------------------------------------------------------------------
@router.get("/my/apply")
def apply_page(request: Request, session: PageSession, uows: Uows, scheme: str = "ECS"):
    who, csrf = session
    holder_id(who)
    schemes = registry_service.list_schemes(uow=uows(read_only=True))
    rules = eligibility.rules_of_scheme(scheme_code=scheme)
    return render(
        request,
        "application_start.html",
        {
            "who": who,
            "csrf_token": csrf,
            "rules": rules,
            "scheme": scheme.upper(),
            "schemes": [s for s in schemes if eligibility.rules_of_scheme(scheme_code=s.code)],
            "cards": [
                c
                for c in cardholders.cardholder_record(
                    uow=uows(read_only=True), who=who, cardholder_id=holder_id(who)
                ).cards
                if c.status == "active" and c.scheme_code == scheme.upper()
            ],
        },
    )


@router.post("/my/apply")
def apply(
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    scheme: Annotated[str, Form(max_length=20)] = "ECS",
    occupation: Annotated[str, Form(max_length=60)] = "",
    renews: Annotated[str, Form(max_length=40)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    app_id = applications.start_application(
        uow=uows(),
        who=who,
        scheme_code=scheme,
        occupation_code=occupation,
        renews_card_number=renews or None,
    )
    return RedirectResponse(f"/my/applications/{app_id}", status_code=303)


def _application_page(request, who, csrf, uows, app_id, *, problem=None, done=""):
    view = applications.show_application(uow=uows(read_only=True), who=who, application_id=app_id)
    return form_page(request, "application_detail.html", who, csrf, problem, view=view, done=done)


@router.get("/my/applications/{app_id}")
def application_page(
    request: Request, app_id: int, session: PageSession, uows: Uows, done: str = ""
):
    who, csrf = session
    words = {"evidence": "Your files were added.", "submitted": "Your application was sent."}
    return _application_page(request, who, csrf, uows, app_id, done=words.get(done, ""))


@router.post("/my/applications/{app_id}/evidence")
def application_evidence(
    request: Request,
    app_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    evidence: Files = None,
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        files = read_files(evidence)
        if not files:
            raise InvalidInput("choose at least one file to add")
        applications.add_application_evidence(
            uow=uows(), who=who, store=evidence_store(request), application_id=app_id, files=files
        )
    except InvalidInput as problem:
        return _application_page(request, who, csrf, uows, app_id, problem=problem)
    return RedirectResponse(f"/my/applications/{app_id}?done=evidence", status_code=303)


@router.post("/my/applications/{app_id}/submit")
def application_submit(app_id: int, session: PageSession, uows: Uows, csrf_token: Csrf = ""):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    applications.submit_application(uow=uows(), who=who, application_id=app_id)
    return RedirectResponse(f"/my/applications/{app_id}?done=submitted", status_code=303)
