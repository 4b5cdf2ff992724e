"""The hub admin's page of businesses: a newly registered one has a small check allowance
until it is approved here (or by `skillcard business approve`, or the API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from skillcard.services.business import business_budget
from skillcard.web.deps import PageSession, SettingsDep, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter()


@router.get("/approvals")
def approvals(request: Request, uows: Uows, session: PageSession, settings: SettingsDep):
    who, csrf = session
    found = business_budget.businesses_for_approval(uow=uows(read_only=True), who=who)
    context = {
        "who": who,
        "csrf_token": csrf,
        "businesses": found,
        "rules": settings.budget_rules(),
        "just_approved": bool(request.query_params.get("approved")),
    }
    return render(request, "business_approvals.html", context)


@router.post("/approvals/{business_id}")
def approve(
    business_id: int,
    uows: Uows,
    session: PageSession,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_csrf(session[1], csrf_token)
    business_budget.approve_business(uow=uows(), who=session[0], business_id=business_id)
    return RedirectResponse(f"/business/approvals?approved={business_id}", status_code=303)
