"""Pages of the HSE assessment: the candidate's side (the invigilator's is invigilation.py).

- ``GET /hse``: start or resume; ``POST /hse/attempts``: a new attempt (or the open one);
- ``GET /hse/attempts/{id}``: the page for where the attempt is (ID check, ready, the test,
  done); reloading it resumes with the saved answers and the time that is left;
- JSON endpoints the page's scripts call with the session cookie and an ``X-CSRF-Token``
  header: ``id-check``, ``answer``, ``events``, ``snapshots``, ``attention``;
- ``POST /hse/attempts/{id}/start`` and ``/submit``: plain forms.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from skillcard.adapters.image_helper import (
    count_faces_at_low_priority,
    normalise_at_low_priority,
)
from skillcard.adapters.invigilation_files import (
    MAX_ID_PHOTO_BYTES,
    MAX_SNAPSHOT_BYTES,
    InvigilationFileStore,
)
from skillcard.errors import SkillcardError
from skillcard.services.hse import hse_attempts, hse_review, invigilation
from skillcard.web.api import hse as hse_api
from skillcard.web.deps import PageSession, Uows
from skillcard.web.errors import error_body
from skillcard.web.pages import invigilation as invigilation_pages
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render
from skillcard.web.snapshot_threads import in_snapshot_thread

router = APIRouter()
router.include_router(invigilation_pages.router)
PAGE_OF_STATE = {
    "created": "hse_id_check.html",
    "id_check": "hse_id_check.html",
    "ready": "hse_ready.html",
    "started": "hse_attempt.html",
}


def file_store(request: Request) -> InvigilationFileStore:
    # the server's store re-encodes uploads in the image helper (adapters/image_helper.py)
    return InvigilationFileStore(request.app.state.files, normalise_at_low_priority)


def _json(call):
    """Run a service call for the page's scripts: JSON either way, never an error page."""
    try:
        return JSONResponse(call())
    except SkillcardError as error:
        return JSONResponse(error_body(error.code, error.message), error.http_status)


def _csrf_header(request: Request, csrf: str) -> None:
    check_csrf(csrf, request.headers.get("x-csrf-token"))


@router.get("/hse")
def hse_home(request: Request, session: PageSession, uows: Uows):
    who, csrf = session
    mine = hse_review.my_results(uow=uows(read_only=True), who=who)
    return render(request, "hse_start.html", {"who": who, "csrf_token": csrf, "hse": mine})


@router.post("/hse/attempts")
def new_attempt(
    session: PageSession, uows: Uows, csrf_token: Annotated[str, Form(max_length=100)] = ""
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    attempt_id = hse_attempts.start_attempt(uow=uows(), who=who)
    return RedirectResponse(f"/hse/attempts/{attempt_id}", status_code=303)


@router.get("/hse/attempts/{attempt_id}")
def attempt_page(request: Request, attempt_id: int, session: PageSession, uows: Uows):
    who, csrf = session
    view = hse_attempts.candidate_view(uow=uows(), who=who, attempt_id=attempt_id)
    template = PAGE_OF_STATE.get(view.state, "hse_done.html")
    context = {
        "who": who,
        "csrf_token": csrf,
        "attempt": view,
        "server_ms": int(view.server_now.timestamp() * 1000),
        "deadline_ms": int(view.deadline.timestamp() * 1000) if view.deadline else 0,
    }
    response = render(request, template, context)
    response.headers["Cache-Control"] = "no-store"  # a reload must ask the server again
    return response


@router.post("/hse/attempts/{attempt_id}/id-check")
def id_check(
    request: Request,
    attempt_id: int,
    session: PageSession,
    uows: Uows,
    face: Annotated[UploadFile | None, File()] = None,
    id_document: Annotated[UploadFile | None, File()] = None,
):
    who, csrf = session
    _csrf_header(request, csrf)
    face_bytes = face.file.read(MAX_SNAPSHOT_BYTES + 1) if face else b""
    id_bytes = id_document.file.read(MAX_ID_PHOTO_BYTES + 1) if id_document else b""

    def call():
        hse_attempts.check_identity(
            uow=uows(),
            store=file_store(request),
            who=who,
            attempt_id=attempt_id,
            face_photo=face_bytes,
            id_photo=id_bytes,
        )
        return {"ready": True}

    return _json(call)


@router.post("/hse/attempts/{attempt_id}/start")
def start(
    attempt_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    hse_attempts.begin(uow=uows(), who=who, attempt_id=attempt_id)
    return RedirectResponse(f"/hse/attempts/{attempt_id}", status_code=303)


@router.post("/hse/attempts/{attempt_id}/answer")
async def answer(
    request: Request,
    attempt_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: hse_api.AnswerIn,
    session: PageSession,
):
    """Saved as the API saves it (on PostgreSQL, on the event loop: ``web/api/hse.py``)."""
    who, csrf = session
    _csrf_header(request, csrf)
    try:
        saved = await hse_api.save_the_answer(request, who, attempt_id, body)
    except SkillcardError as error:  # JSON for the page's script, never an error page
        return JSONResponse(error_body(error.code, error.message), error.http_status)
    return JSONResponse(
        {
            "seq": saved.seq,
            "seconds_left": saved.seconds_left,
            "server_now_ms": int(saved.server_now.timestamp() * 1000),
        }
    )


class EventIn(BaseModel):
    kind: str = Field(max_length=40)
    detail: str = Field("", max_length=200)


@router.post("/hse/attempts/{attempt_id}/events")
def event(request: Request, attempt_id: int, body: EventIn, session: PageSession, uows: Uows):
    who, csrf = session
    _csrf_header(request, csrf)
    return _json(
        lambda: {
            "ended": invigilation.report_event(
                uow=uows(), who=who, attempt_id=attempt_id, kind=body.kind, detail=body.detail
            )
        }
    )


@router.post("/hse/attempts/{attempt_id}/snapshots")
async def snapshot(
    request: Request,
    attempt_id: int,
    session: PageSession,
    uows: Uows,
    snapshot: Annotated[UploadFile | None, File()] = None,
):
    who, csrf = session
    _csrf_header(request, csrf)
    data = await snapshot.read(MAX_SNAPSHOT_BYTES + 1) if snapshot else b""
    faces = partial(
        invigilation.add_snapshot,
        uow=uows(),
        store=file_store(request),
        count_faces=count_faces_at_low_priority,
        who=who,
        attempt_id=attempt_id,
        data=data,
    )
    return await in_snapshot_thread(request, partial(_json, lambda: {"faces": faces()}))


class AttentionIn(BaseModel):
    token: str | None = Field(None, max_length=64)


@router.post("/hse/attempts/{attempt_id}/attention")
def attention(
    request: Request, attempt_id: int, body: AttentionIn, session: PageSession, uows: Uows
):
    """No token: show a target (its token and seconds); a token: the candidate clicked it."""
    who, csrf = session
    _csrf_header(request, csrf)

    def call():
        if body.token is None:
            token, seconds = invigilation.show_attention(uow=uows(), who=who, attempt_id=attempt_id)
            return {"token": token, "seconds": seconds}
        in_time = invigilation.answer_attention(
            uow=uows(), who=who, attempt_id=attempt_id, token=body.token
        )
        return {"in_time": in_time}

    return _json(call)


@router.post("/hse/attempts/{attempt_id}/submit")
def submit(
    attempt_id: int,
    session: PageSession,
    uows: Uows,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    hse_attempts.submit(uow=uows(), who=who, attempt_id=attempt_id)
    return RedirectResponse(f"/hse/attempts/{attempt_id}", status_code=303)


@router.get("/hse/summary")
def summary(request: Request, session: PageSession, uows: Uows):
    """The HSE part of the cardholder's record (my_record.html loads it with htmx)."""
    who, csrf = session
    mine = hse_review.my_results(uow=uows(read_only=True), who=who)
    return render(request, "_hse_summary.html", {"who": who, "csrf_token": csrf, "hse": mine})
