"""Scheme admins' and assessors' MyCard pages: the applications queue (evidence beside the
rules' reasons), declared qualifications and memberships, HSE passes, and the CPD audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from skillcard.domain.accounts import Role, require
from skillcard.errors import Conflict, InvalidInput, NotFound, SkillcardError
from skillcard.services.mycard import cpd, cpd_audit
from skillcard.services.registry import applications, qualifications
from skillcard.services.registry.eligibility_hse import record_hse_pass
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.mycard_common import Csrf, form_date, form_page, raise_for_error_page
from skillcard.web.pages.rendering import render

router = APIRouter()
DONE = {
    "verifying": "The application is marked as being checked.",
    "refer": "The application was sent back to the applicant with your message.",
    "reject": "The application was rejected.",
    "approve": "The application was approved and the card issued.",
    "override": "The application was approved although rules were unmet, and the card issued. "
    "Your reason is in the audit log.",
    "hse": "The HSE pass was recorded.",
    "verified": "The qualification was verified.",
    "rejected": "The qualification was rejected.",
    "membership": "The membership was verified.",
    "lapsed": "The membership is recorded as lapsed.",
}


# What went wrong with a decision, told on the queue page the POST redirects to: a fixed
# sentence per kind, never text from the address (which anyone can write into a link).
DECISION_PROBLEMS = {
    "unmet": "The rules are not met yet. To approve anyway, give your reason under "
    "\u201cApprove although rules are not met\u201d.",
    "moved": "That cannot be done to this application now: it has moved on. "
    "Here is where it stands.",
    "why": "Say why in \u201cMessage to the applicant\u201d, so the applicant knows what to do.",
    "hse_date": "Enter the date of the HSE pass, like 2026-03-14, and not in the future.",
    "reason": "Give the reason for rejecting the qualification, so the holder knows what to do.",
    "lapse_date": "Enter the date the membership lapsed, like 2026-03-14.",
    "unknown": "That is not something to do with an application.",
}


def _decision_problem(problem: SkillcardError, action: str) -> str:
    if isinstance(problem, Conflict) and problem.field == "override_reason":
        return "unmet"
    if isinstance(problem, Conflict):
        return "moved"
    return "why" if action in ("refer", "reject") else "unknown"


def _queue_page(
    request, who, csrf, uows, *, problem=None, told="", done="", failed=None, suspendable=None
):
    """The queue page; ``problem`` is a form's error (with its status), ``told`` a sentence
    about a decision that failed before the redirect here."""
    return form_page(
        request,
        "application_queue.html",
        who,
        csrf,
        problem,
        **({"error": told} if told else {}),
        done=DONE.get(done, ""),
        failed=failed,
        queue=applications.queue(uow=uows(read_only=True), who=who),
        pending=qualifications.pending_qualifications(uow=uows(read_only=True), who=who),
        memberships=_memberships(uows, who),
        current_memberships=_memberships(uows, who, verified=True),
        suspendable=suspendable or [],
    )


def _memberships(uows, who, verified: bool = False):
    """Memberships of holders related to the admin's scheme: those waiting to be verified, or
    (``verified``) the current ones, which can be recorded as lapsed."""
    with uows(read_only=True) as uow:
        found = []
        listed = uow.pqp_memberships.current() if verified else uow.pqp_memberships.unverified()
        for m in listed:
            holder = uow.cardholders.get(m.cardholder_id)
            schemes = set(uow.cards.scheme_ids_of_cardholder(m.cardholder_id))
            schemes |= {a.scheme_id for a in uow.applications.of_cardholder(m.cardholder_id)}
            if who.is_hub_admin or who.scheme_id in schemes:
                found.append((m, holder.full_name))
        return found


@router.get("/admin/applications")
def queue_page(
    request: Request,
    session: PageSession,
    uows: Uows,
    done: str = "",
    problem: str = "",
    app: str = "",
    membership: str = "",
):
    """The queue; after a POST that failed, ``problem`` names why (answered 200: the page
    itself is fine) and ``app`` the application it was about; after a lapse, ``membership``
    the lapsed one, whose holder's PQP cards may now be suspended."""
    who, csrf = session
    told = DECISION_PROBLEMS.get(problem, "")
    failed = (int(app), "") if told and _small_id(app) else None
    suspendable = None
    if done == "lapsed" and _small_id(membership):
        suspendable = qualifications.suspendable_after_lapse(
            uow=uows(read_only=True), who=who, membership_id=int(membership)
        )
    return _queue_page(
        request, who, csrf, uows, done=done, told=told, failed=failed, suspendable=suspendable
    )


def _small_id(text: str) -> bool:
    return text.isdigit() and len(text) < 12


def _told(problem: str) -> RedirectResponse:
    """Back to the queue, naming a problem by its code (see ``DECISION_PROBLEMS``)."""
    return RedirectResponse(f"/admin/applications?problem={problem}", status_code=303)


@router.post("/admin/applications/{app_id}/{action}")
def decide(
    request: Request,
    app_id: int,
    action: str,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    message: Annotated[str, Form(max_length=1000)] = "",
    override_reason: Annotated[str, Form(max_length=1000)] = "",
):
    """Every answer is a redirect to the queue (never a page at the POST address, which a
    reload would send again); a problem is named there by a fixed code."""
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        applications.decide_application(
            uow=uows(),
            who=who,
            application_id=app_id,
            action=action,
            message=message,
            override_reason=override_reason,
            public_url=request.app.state.settings.public_url,
        )
    except SkillcardError as problem:
        raise_for_error_page(problem, (401, 403, 404))
        where = f"problem={_decision_problem(problem, action)}&app={app_id}"
        return RedirectResponse(f"/admin/applications?{where}#app-{app_id}", status_code=303)
    done = "override" if action == "approve" and override_reason.strip() else action
    return RedirectResponse(f"/admin/applications?done={done}#app-{app_id}", status_code=303)


@router.post("/admin/cardholders/{holder_id}/hse")
def hse_pass(
    request: Request,
    holder_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    passed_on: Annotated[str, Form(max_length=20)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        day = form_date(passed_on, "enter the date of the HSE pass, like 2026-03-14")
        record_hse_pass(uow=uows(), who=who, cardholder_id=holder_id, passed_on=day)
    except InvalidInput:
        return _told("hse_date")
    return RedirectResponse("/admin/applications?done=hse", status_code=303)


@router.post("/admin/qualifications/{held_id}/{verdict}")
def review_qualification(
    request: Request,
    held_id: int,
    verdict: str,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    reason: Annotated[str, Form(max_length=500)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        if verdict not in ("verified", "rejected"):
            raise InvalidInput("a qualification is verified or rejected")
        qualifications.review_qualification(
            uow=uows(), who=who, held_id=held_id, verified=verdict == "verified", reason=reason
        )
    except InvalidInput:
        if who.role == Role.ASSESSOR:
            return RedirectResponse("/assessor?problem=reason", status_code=303)
        return _told("reason")
    back = "/assessor" if who.role == Role.ASSESSOR else "/admin/applications"
    return RedirectResponse(f"{back}?done={verdict}", status_code=303)


@router.post("/admin/memberships/{membership_id}/verify")
def verify_membership(membership_id: int, session: PageSession, uows: Uows, csrf_token: Csrf = ""):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    qualifications.verify_membership(uow=uows(), who=who, membership_id=membership_id)
    return RedirectResponse("/admin/applications?done=membership", status_code=303)


@router.post("/admin/memberships/{membership_id}/lapse")
def lapse_membership(
    request: Request,
    membership_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    lapsed_on: Annotated[str, Form(max_length=20)] = "",
):
    """Record a lapse; the page it redirects to lists the holder's PQP cards that may now be
    suspended."""
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        day = form_date(lapsed_on, "enter the date the membership lapsed, like 2026-03-14")
        qualifications.lapse_membership(
            uow=uows(), who=who, membership_id=membership_id, lapsed_on=day
        )
    except InvalidInput:
        return _told("lapse_date")
    where = f"done=lapsed&membership={membership_id}#lapsed"
    return RedirectResponse(f"/admin/applications?{where}", status_code=303)


# -- assessors ---------------------------------------------------------------------------------
@router.get("/assessor")
def assessor_home(
    request: Request, session: PageSession, uows: Uows, done: str = "", problem: str = ""
):
    who, csrf = session
    require(who.role in (Role.ASSESSOR, Role.SCHEME_ADMIN), "review CPD audits")
    return render(
        request,
        "assessor_cases.html",
        {
            "who": who,
            "csrf_token": csrf,
            "done": DONE.get(done, ""),
            "error": DECISION_PROBLEMS.get(problem, "") if problem == "reason" else "",
            "cases": cpd_audit.assessor_cases(uow=uows(read_only=True), who=who),
            "pending": qualifications.pending_qualifications(uow=uows(read_only=True), who=who),
        },
    )


def _case_page(request, who, csrf, uows, case_id, *, problem=None):
    cases = {c.case.id: c for c in cpd_audit.assessor_cases(uow=uows(read_only=True), who=who)}
    if case_id not in cases:
        raise NotFound(f"no sampled CPD record {case_id} of your scheme")
    case = cases[case_id]
    log = cpd.cpd_log(
        uow=uows(read_only=True), who=who, cardholder_id=case.case.cardholder_id, year=case.year
    )
    return form_page(request, "assessor_case.html", who, csrf, problem, case=case, log=log)


@router.get("/assessor/cases/{case_id}")
def case_page(request: Request, case_id: int, session: PageSession, uows: Uows):
    who, csrf = session
    return _case_page(request, who, csrf, uows, case_id)


@router.post("/assessor/cases/{case_id}/{verdict}")
def review_case(
    request: Request,
    case_id: int,
    verdict: str,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    message: Annotated[str, Form(max_length=2000)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        if verdict not in ("accept", "ask"):
            raise InvalidInput("accept the record, or ask for more")
        cpd_audit.review(
            uow=uows(),
            who=who,
            case_id=case_id,
            accept=verdict == "accept",
            message=message,
            public_url=request.app.state.settings.public_url,
        )
    except InvalidInput as problem:
        return _case_page(request, who, csrf, uows, case_id, problem=problem)
    return RedirectResponse(f"/assessor/cases/{case_id}", status_code=303)


@router.post("/assessor/cpd/{record_id}/verify")
def verify_entry(
    record_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    case: Annotated[int, Form()] = 0,
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    cpd.verify_cpd(uow=uows(), who=who, record_id=record_id)
    return RedirectResponse(f"/assessor/cases/{case}" if case else "/assessor", status_code=303)
