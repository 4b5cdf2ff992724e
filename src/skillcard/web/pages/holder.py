"""A cardholder's own pages: their cards, qualifications and who checked their cards."""

from __future__ import annotations

from fastapi import APIRouter, Request

from skillcard.domain.accounts import Role, require
from skillcard.services import cardholders, checks
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.rendering import render

router = APIRouter()


@router.get("/my")
def my_record(request: Request, session: PageSession, uows: Uows):
    who, csrf = session
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "open a cardholder's record: this page is for cardholders",
    )
    record = cardholders.cardholder_record(
        uow=uows(read_only=True), who=who, cardholder_id=who.cardholder_id
    )
    checked = checks.cardholder_checks(
        uow=uows(read_only=True), who=who, cardholder_id=who.cardholder_id
    )
    return render(
        request,
        "my_record.html",
        {"who": who, "csrf_token": csrf, "record": record, "checks": checked},
    )
