"""The cardholder's qualification and institute membership pages (for the PQP card)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from skillcard.errors import SkillcardError
from skillcard.services.registry import qualifications
from skillcard.services.registry import registry as registry_service
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.mycard_common import (
    Csrf,
    Files,
    evidence_store,
    form_date,
    form_page,
    holder_id,
    raise_for_error_page,
    read_files,
)

router = APIRouter()


def _quals_page(request, who, csrf, uows, *, problem=None, field="", done=""):
    holder_id(who)
    return form_page(
        request,
        "qualification_add.html",
        who,
        csrf,
        problem,
        field=field,
        done=done,
        qualifications=registry_service.qualifications(uow=uows(read_only=True)),
        institutes=registry_service.institutes(uow=uows(read_only=True)),
    )


@router.get("/my/qualifications")
def quals_page(request: Request, session: PageSession, uows: Uows, done: str = ""):
    who, csrf = session
    return _quals_page(
        request, who, csrf, uows, done="Saved: the scheme will check it." if done else ""
    )


@router.post("/my/qualifications")
def add_qualification(
    request: Request,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    code: Annotated[str, Form(max_length=60)] = "",
    achieved_on: Annotated[str, Form(max_length=20)] = "",
    certificate_number: Annotated[str, Form(max_length=100)] = "",
    certificate: Files = None,
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        day = form_date(achieved_on, "enter the date you achieved it, like 2019-07-01")
        qualifications.declare_qualification(
            uow=uows(),
            who=who,
            store=evidence_store(request),
            qualification_code=code,
            achieved_on=day,
            certificate_number=certificate_number,
            files=read_files(certificate),
        )
    except SkillcardError as problem:
        raise_for_error_page(problem)
        return _quals_page(request, who, csrf, uows, problem=problem, field="qual-code")
    return RedirectResponse("/my/qualifications?done=1", status_code=303)


@router.post("/my/memberships")
def add_membership(
    request: Request,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    institute: Annotated[str, Form(max_length=20)] = "",
    number: Annotated[str, Form(max_length=40)] = "",
    grade: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        qualifications.declare_membership(
            uow=uows(), who=who, institute_code=institute, number=number, grade=grade
        )
    except SkillcardError as problem:
        raise_for_error_page(problem)
        return _quals_page(request, who, csrf, uows, problem=problem, field="member-number")
    return RedirectResponse("/my/qualifications?done=1", status_code=303)
