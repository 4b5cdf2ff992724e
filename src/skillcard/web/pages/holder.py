"""A cardholder's own record at /my: a phone-first hub of their cards, CPD, qualifications,
applications, HSE result and who checked their cards."""

from __future__ import annotations

from fastapi import APIRouter, Request

from skillcard.domain.accounts import Role, require, tied
from skillcard.services.audit.audit import utcnow
from skillcard.services.checks import checks
from skillcard.services.mycard import cpd, share_links
from skillcard.services.registry import applications, cardholders
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.rendering import render

router = APIRouter()


def _review_states(uows, cardholder_id: int) -> dict[str, tuple[str, str]]:
    """Per qualification code, the scheme's verdict on what the holder declared."""
    with uows(read_only=True) as uow:
        held = uow.cardholders.qualifications_of(cardholder_id)
        reviews = uow.qualification_reviews.for_held([h.id for h in held])
        return {
            h.qualification_code: (reviews[h.id].state, reviews[h.id].reason)
            for h in held
            if h.id in reviews
        }


@router.get("/my")
def my_record(request: Request, session: PageSession, uows: Uows):
    who, csrf = session
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "open a cardholder's record: this page is for cardholders",
    )
    holder_id = tied(who.cardholder_id, "a cardholder")
    record = cardholders.cardholder_record(
        uow=uows(read_only=True), who=who, cardholder_id=holder_id
    )
    checked = checks.cardholder_checks(uow=uows(read_only=True), who=who, cardholder_id=holder_id)
    log = cpd.cpd_log(uow=uows(read_only=True), who=who, cardholder_id=holder_id)
    return render(
        request,
        "my_record.html",
        {
            "who": who,
            "csrf_token": csrf,
            "record": record,
            "checks": checked,
            "log": log,
            "applications": applications.my_applications(uow=uows(read_only=True), who=who),
            "reviews": _review_states(uows, holder_id),
            "shares": share_links.my_shares(uow=uows(read_only=True), who=who),
            "public_url": request.app.state.settings.public_url.rstrip("/"),
            "now": utcnow(),
        },
    )
