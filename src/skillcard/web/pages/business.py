"""Pages of Business Check: the workforce dashboard, checks, bulk CSV checks with live
progress (htmx polls the job), reports and the business's people (registering, confirming and
accepting an invitation are in business_signup.py).

Forms post back to their own page; a problem is shown above the form (an error summary
linking to the field), never as a bare error page, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from skillcard.domain.business import STATE_LABELS, WorkforceState
from skillcard.errors import InvalidInput, NotFound, PermissionDenied
from skillcard.services.business import business, business_checks, workforce
from skillcard.web.checking import limit_checks, with_photo_url
from skillcard.web.deps import (
    AnonymousClient,
    BudgetDep,
    Limiter,
    PageSession,
    SettingsDep,
    Uows,
)
from skillcard.web.pages import (
    business_approval,
    business_bulk,
    business_signup,
    business_webhook,
)
from skillcard.web.pages.business_common import FIXABLE, Text, status_of
from skillcard.web.pages.business_common import page as _page
from skillcard.web.pages.business_common import problem as _problem
from skillcard.web.pages.forms import check_csrf

router = APIRouter(prefix="/business")
router.include_router(business_bulk.router)
router.include_router(business_webhook.router)
router.include_router(business_approval.router)
router.include_router(business_signup.router)


# --- the dashboard and the workforce -------------------------------------------------------


@router.get("")
def dashboard(
    request: Request,
    uows: Uows,
    session: PageSession,
    site: str = "",
    subcontractor: str = "",
    state: str = "",
):
    filters = {"site": site[:200], "subcontractor": subcontractor[:200], "state": state[:24]}
    return _dashboard(request, uows, session, filters)


def _dashboard(request, uows, session, filters, errors=None, form=None, status=200):
    who = session[0]
    board = workforce.dashboard(uow=uows(read_only=True), who=who, **filters)
    found, _people = business.business_people(uow=uows(read_only=True), who=who)
    recent = business_checks.history(uow=uows(read_only=True), who=who, limit=10)
    return _page(
        request,
        "business_dashboard.html",
        session,
        status=status,
        business=found,
        board=board,
        labels=STATE_LABELS,
        states=list(WorkforceState),
        filters=filters,
        recent=recent,
        errors=errors or {},
        form=form or {},
    )


@router.post("/workforce")
def add_worker(
    request: Request,
    uows: Uows,
    session: PageSession,
    budget: BudgetDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    number: Annotated[str, Form(max_length=40)] = "",
    surname: Annotated[str, Form(max_length=100)] = "",
    label: Text = "",
    trade: Text = "",
    site: Text = "",
    subcontractor: Text = "",
):
    check_csrf(session[1], csrf_token)
    form: dict[str, Any] = dict(
        number=number,
        surname=surname,
        label=label,
        trade=trade,
        site=site,
        subcontractor=subcontractor,
    )
    errors = {}
    if not number.strip():
        errors["number"] = "Enter the card number"
    if not surname.strip():
        errors["surname"] = "Enter the surname on the card"
    status = 422
    if not errors:
        try:
            workforce.add_worker(uow=uows(), who=session[0], budget=budget, **form)
        except FIXABLE as error:
            errors = _problem(error, "surname" if isinstance(error, NotFound) else "number")
            status = status_of(error)
    if errors:
        filters = {"site": "", "subcontractor": "", "state": ""}
        return _dashboard(request, uows, session, filters, errors, form, status)
    return RedirectResponse("/business?added=1#workforce", status_code=303)


@router.post("/workforce/{entry_id}/remove")
def remove_worker(
    entry_id: int,
    uows: Uows,
    session: PageSession,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_csrf(session[1], csrf_token)
    workforce.remove_worker(uow=uows(), who=session[0], entry_id=entry_id)
    return RedirectResponse("/business#workforce", status_code=303)


# --- single and spot checks ------------------------------------------------------------------


@router.get("/check")
def check_form(request: Request, uows: Uows, session: PageSession):
    business.business_id_for(session[0])
    return _page(request, "business_check.html", session, result=None)


@router.post("/check")
def check(
    request: Request,
    uows: Uows,
    session: PageSession,
    limiter: Limiter,
    client: AnonymousClient,
    budget: BudgetDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    number: Annotated[str, Form(max_length=40)] = "",
    surname: Annotated[str, Form(max_length=100)] = "",
    site: Text = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    face: Annotated[str, Form(max_length=5)] = "",
    spot: Annotated[str, Form(max_length=5)] = "",
    latitude: Annotated[str, Form(max_length=30)] = "",
    longitude: Annotated[str, Form(max_length=30)] = "",
):
    check_csrf(session[1], csrf_token)
    limit_checks(request, limiter, who=session[0], client=client)  # as Smart Check's allowance
    form = {"number": number, "surname": surname, "site": site, "note": note, "face": face}
    form["spot"] = spot
    try:
        where = business_checks.Where(
            site=site,
            latitude=float(latitude) if latitude else None,
            longitude=float(longitude) if longitude else None,
            note=note,
            face_confirmed={"yes": True, "no": False}.get(face),
        )
        result = business_checks.check_for_business(
            uow=uows(),
            who=session[0],
            budget=budget,
            number=number,
            surname=surname,
            spot=spot == "yes",  # the checker says so, as the API's flag does
            where=where,
        )
    except ValueError:
        return _page(
            request,
            "business_check.html",
            session,
            422,
            form=form,
            result=None,
            errors={"site": "The position from the phone could not be read"},
        )
    except FIXABLE as error:
        field = error.field or "number"
        return _page(
            request,
            "business_check.html",
            session,
            status_of(error),
            form=form,
            result=None,
            errors=_problem(error, field),
        )
    return _page(
        request,
        "business_check.html",
        session,
        form={"site": site, "spot": spot},  # the next check on the same site is one too
        result=with_photo_url(request, result),
    )


@router.post("/checks/offline")
def sync_offline(
    session: PageSession,
    uows: Uows,
    request: Request,
    budget: BudgetDep,
    items: Annotated[list[dict], Body(max_length=business_checks.MAX_OFFLINE)],
):
    """The page's queue of checks made offline (business.js), sent with the session's CSRF
    token in a header."""
    check_csrf(session[1], request.headers.get("x-csrf-token"))
    from skillcard.web.api.business import OfflineCheck
    from skillcard.web.api.business import sync_offline as api_sync

    try:
        parsed = [OfflineCheck.model_validate(item) for item in items]
    except ValidationError as error:
        raise InvalidInput(
            f"a queued check could not be read: {error.errors()[0]['msg']}"
        ) from None
    return api_sync(who=session[0], uows=uows, budget=budget, items=parsed)


@router.get("/people")
def people(request: Request, uows: Uows, session: PageSession):
    return _people(request, uows, session)


def _people(request, uows, session, status=200, **extra):
    found, users = business.business_people(uow=uows(read_only=True), who=session[0])
    return _page(
        request, "business_people.html", session, status, business=found, people=users, **extra
    )


@router.post("/people/invite")
def invite(
    request: Request,
    uows: Uows,
    session: PageSession,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    display_name: Text = "",
):
    check_csrf(session[1], csrf_token)
    try:
        business.invite_checker(
            uow=uows(),
            who=session[0],
            email=email,
            display_name=display_name,
            public_url=settings.public_url,
        )
    except (*FIXABLE, PermissionDenied) as error:
        return _people(
            request,
            uows,
            session,
            error.http_status,
            errors=_problem(error, "email"),
            form={"email": email, "display_name": display_name},
        )
    return RedirectResponse("/business/people?invited=1", status_code=303)


@router.post("/people/{user_id}/remove")
def remove(
    user_id: int,
    uows: Uows,
    session: PageSession,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_csrf(session[1], csrf_token)
    business.remove_user(uow=uows(), who=session[0], user_id=user_id)
    return RedirectResponse("/business/people", status_code=303)
