"""The invigilator's pages: the review queue, one attempt's evidence, decisions.

- ``GET /invigilation``: attempts of the invigilator's scheme waiting for a decision, and the
  forms to grant adjustments and declare a conflict;
- ``GET /invigilation/attempts/{id}``: ID photo beside start photo, snapshots, timeline,
  answers; ``POST .../decision``: verify, reject, void or second review;
- ``GET /invigilation/files/{attempt}/{sha256}``: one photo of an attempt, after the check.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.errors import NotFound, SkillcardError
from skillcard.services.hse import hse_review, invigilation
from skillcard.web.deps import PageSession, SettingsDep, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter()
DONE = {
    "verify": "verified",
    "reject": "rejected",
    "void": "voided",
    "second_review": "sent for a second review",
    "adjustment": "adjustments saved",
    "conflict": "conflict declared",
}


def _queue_page(request, who, csrf, uows, *, done: str = "", error: str = "", status=200):
    queue = hse_review.review_queue(uow=uows(), who=who)
    context = {
        "who": who,
        "csrf_token": csrf,
        "queue": queue,
        "candidates": invigilation.candidate_choices(uow=uows(read_only=True), who=who),
        "done": DONE.get(done, ""),
        "error": error,
    }
    return render(request, "invigilation_queue.html", context, status=status)


@router.get("/invigilation")
def queue(request: Request, session: PageSession, uows: Uows, done: str = ""):
    who, csrf = session
    return _queue_page(request, who, csrf, uows, done=done)


@router.get("/invigilation/attempts/{attempt_id}")
def attempt(request: Request, attempt_id: int, session: PageSession, uows: Uows, error: str = ""):
    who, csrf = session
    detail = hse_review.review_detail(uow=uows(read_only=True), who=who, attempt_id=attempt_id)
    return render(
        request,
        "invigilation_attempt.html",
        {"who": who, "csrf_token": csrf, "attempt": detail, "error": error},
    )


@router.post("/invigilation/attempts/{attempt_id}/decision")
def decision(
    request: Request,
    attempt_id: int,
    session: PageSession,
    uows: Uows,
    settings: SettingsDep,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        hse_review.decide(
            uow=uows(),
            who=who,
            attempt_id=attempt_id,
            decision=decision,
            reason=reason,
            public_url=settings.public_url,
        )
    except SkillcardError as refused:
        if isinstance(refused, NotFound):
            raise
        detail = hse_review.review_detail(uow=uows(read_only=True), who=who, attempt_id=attempt_id)
        context = {"who": who, "csrf_token": csrf, "attempt": detail, "error": refused.message}
        return render(request, "invigilation_attempt.html", context, status=refused.http_status)
    return RedirectResponse(f"/invigilation?done={decision}", status_code=303)


@router.post("/invigilation/adjustments")
def adjustments(
    request: Request,
    session: PageSession,
    uows: Uows,
    card_number: Annotated[str, Form(max_length=40)] = "",
    extra_minutes: Annotated[int, Form(ge=0, le=600)] = 0,
    reader: Annotated[bool, Form()] = False,
    large_text: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        invigilation.grant_adjustment(
            uow=uows(),
            who=who,
            cardholder_id=invigilation.candidate_by_card(
                uow=uows(read_only=True), who=who, card_number=card_number
            ),
            extra_minutes=extra_minutes,
            reader=reader,
            large_text=large_text,
        )
    except SkillcardError as refused:
        return _queue_page(
            request, who, csrf, uows, error=refused.message, status=refused.http_status
        )
    return RedirectResponse("/invigilation?done=adjustment", status_code=303)


@router.post("/invigilation/conflicts")
def conflicts(
    request: Request,
    session: PageSession,
    uows: Uows,
    card_number: Annotated[str, Form(max_length=40)] = "",
    relationship: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        holder = invigilation.candidate_by_card(
            uow=uows(read_only=True), who=who, card_number=card_number
        )
        invigilation.declare_conflict(
            uow=uows(), who=who, cardholder_id=holder, relationship=relationship
        )
    except SkillcardError as refused:
        return _queue_page(
            request, who, csrf, uows, error=refused.message, status=refused.http_status
        )
    return RedirectResponse("/invigilation?done=conflict", status_code=303)


@router.get("/invigilation/files/{attempt_id}/{sha256}")
def attempt_file(request: Request, attempt_id: int, sha256: str, session: PageSession, uows: Uows):
    who, _ = session
    hse_review.attempt_file(uow=uows(read_only=True), who=who, attempt_id=attempt_id, sha256=sha256)
    data = InvigilationFileStore(request.app.state.files).get(sha256)
    if data is None:
        raise NotFound("no such photo")
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
