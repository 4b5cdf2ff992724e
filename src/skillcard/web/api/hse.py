"""The API of the HSE assessment: attempts (for the candidate), review (for invigilators),
results, and the item bank as QTI 3.0 packages. Bearer tokens, like the rest of the API."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Request, Response, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from skillcard.adapters.image_helper import (
    count_faces_at_low_priority,
    normalise_at_low_priority,
)
from skillcard.adapters.invigilation_files import (
    MAX_ID_PHOTO_BYTES,
    MAX_SNAPSHOT_BYTES,
    InvigilationFileStore,
)
from skillcard.adapters.qti import MAX_PACKAGE_BYTES
from skillcard.domain.accounts import Principal
from skillcard.errors import TooLarge
from skillcard.services.hse import answers_online, hse_attempts, hse_bank, hse_review, invigilation
from skillcard.web.api.schemas import ERRORS, json_body, parse_body, parse_path, query_parameters
from skillcard.web.deps import ApiWho, SettingsDep, Uows, bearer_token
from skillcard.web.snapshot_threads import in_snapshot_thread

router = APIRouter(prefix="/hse", tags=["hse"], responses=ERRORS)


def _store(request: Request) -> InvigilationFileStore:
    # the server's store re-encodes uploads in the image helper (adapters/image_helper.py)
    return InvigilationFileStore(request.app.state.files, normalise_at_low_priority)


class QuestionOut(BaseModel):
    number: int
    item_id: int
    stem: str
    options: list[str] = Field(description="in the order this candidate sees them; no key")
    chosen: int | None


class AttemptOut(BaseModel):
    id: int
    state: str
    server_now: dt.datetime = Field(description="correct the countdown by this, not the device")
    deadline: dt.datetime | None
    seconds_left: int
    answer_seq: int = Field(description="the last answer's seq: send a larger one next")
    minutes: int
    questions: list[QuestionOut]


class Created(BaseModel):
    id: int


class StartIn(BaseModel):
    scheme: str | None = Field(None, max_length=20)


@router.post("/attempts", response_model=Created, status_code=201)
def create_attempt(who: ApiWho, uows: Uows, body: StartIn | None = None):
    """Start an attempt (or get the open one back, to resume); its form is drawn now."""
    scheme = body.scheme if body else None
    return {"id": hse_attempts.start_attempt(uow=uows(), who=who, scheme_code=scheme)}


@router.get("/attempts/{attempt_id}", response_model=AttemptOut)
def get_attempt(attempt_id: int, who: ApiWho, uows: Uows):
    view = hse_attempts.candidate_view(uow=uows(), who=who, attempt_id=attempt_id)
    return AttemptOut.model_validate(view, from_attributes=True)


@router.post("/attempts/{attempt_id}/id-check", status_code=204)
def id_check(
    request: Request,
    attempt_id: int,
    who: ApiWho,
    uows: Uows,
    face: Annotated[UploadFile, File(description="webcam photo, JPEG or PNG")],
    id_document: Annotated[UploadFile, File(description="photo of the ID, JPEG or PNG")],
):
    hse_attempts.check_identity(
        uow=uows(),
        store=_store(request),
        who=who,
        attempt_id=attempt_id,
        face_photo=face.file.read(MAX_SNAPSHOT_BYTES + 1),
        id_photo=id_document.file.read(MAX_ID_PHOTO_BYTES + 1),
    )
    return Response(status_code=204)


@router.post("/attempts/{attempt_id}/start", status_code=204)
def start(attempt_id: int, who: ApiWho, uows: Uows):
    hse_attempts.begin(uow=uows(), who=who, attempt_id=attempt_id)
    return Response(status_code=204)


class AnswerIn(BaseModel):
    item_id: int
    choice: int | None = Field(None, ge=0, le=7, description="the place on screen, from 0")
    seq: int = Field(ge=1, le=1_000_000, description="larger than the last one sent")


class SavedOut(BaseModel):
    seq: int
    seconds_left: int
    server_now: dt.datetime


class AnswerPath(BaseModel):
    attempt_id: int = Field(ge=1, le=2**31 - 1)


# An answer is a few dozen bytes; what is read of a body is capped before it is parsed.
MAX_ANSWER_BYTES = 4096


@router.put(
    "/attempts/{attempt_id}/answer",
    response_model=SavedOut,
    openapi_extra={
        "parameters": query_parameters(AnswerPath, where="path"),
        "requestBody": json_body(AnswerIn),
    },
)
async def answer(request: Request) -> Response:
    """Save one answer. 409 after the deadline (the attempt is then submitted) or for a
    replayed seq; 422 for a question not on the form; 404 for another's attempt."""
    # Every click of every candidate comes here: a lane (web/lanes.py) that reads its own
    # path, token and body. FastAPI's routing, parameters and body handling cost a third of
    # the request's CPU once the save itself was on the event loop (bench/README.md).
    token = await bearer_token(request)  # first, as FastAPI solves dependencies first
    attempt_id = parse_path(AnswerPath, request).attempt_id
    body = parse_body(AnswerIn, await _capped_body(request, MAX_ANSWER_BYTES))
    saved = await save_the_answer(request, token, attempt_id, body)
    out = SavedOut.model_validate(saved, from_attributes=True)
    return Response(out.model_dump_json(), media_type="application/json")


async def save_the_answer(
    request: Request, who: Principal | str, attempt_id: int, body: AnswerIn
) -> hse_attempts.Saved:
    """Save a click for the candidate (from a page) or their API token (the API)."""
    saved, state = None, request.app.state
    if state.answer_desk is not None:  # PostgreSQL: on the event loop
        saved = await answers_online.save_answer(
            desk=state.answer_desk,
            who=who,
            attempt_id=attempt_id,
            item_id=body.item_id,
            choice=body.choice,
            seq=body.seq,
        )
    if saved is None:  # SQLite, or the attempt must first be ended (answers_online.py)
        saved = await run_in_threadpool(_look_up_and_save, attempt_id, body, who, state.uows)
    return saved


async def _capped_body(request: Request, cap: int) -> bytes:
    """The body, refused (413) once past ``cap`` bytes, without reading the rest."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise TooLarge(f"a request here is at most {cap} bytes")
    return body


def _look_up_and_save(
    attempt_id: int, body: AnswerIn, who: Principal | str, uows
) -> hse_attempts.Saved:
    # A token's look-up and the save share one worker thread and one transaction rather
    # than taking one each. (So a bad token with a malformed body gets the 422; with no
    # token at all it is still a 401.)
    return hse_attempts.save_answer(
        uow=uows(),
        who=who,
        attempt_id=attempt_id,
        item_id=body.item_id,
        choice=body.choice,
        seq=body.seq,
    )


class EventIn(BaseModel):
    kind: str = Field(max_length=40, description="tab_hidden, blur, copy, paste, ...")
    detail: str = Field("", max_length=200)


@router.post("/attempts/{attempt_id}/events")
def event(attempt_id: int, body: EventIn, who: ApiWho, uows: Uows) -> dict:
    ended = invigilation.report_event(
        uow=uows(), who=who, attempt_id=attempt_id, kind=body.kind, detail=body.detail
    )
    return {"ended": ended}


@router.post("/attempts/{attempt_id}/snapshots")
async def snapshot(
    request: Request,
    attempt_id: int,
    who: ApiWho,
    uows: Uows,
    snapshot: Annotated[UploadFile, File(description="a webcam frame, JPEG or PNG, ≤ 2 MB")],
) -> dict:
    data = await snapshot.read(MAX_SNAPSHOT_BYTES + 1)
    faces = await in_snapshot_thread(
        request,
        partial(
            invigilation.add_snapshot,
            uow=uows(),
            store=_store(request),
            count_faces=count_faces_at_low_priority,
            who=who,
            attempt_id=attempt_id,
            data=data,
        ),
    )
    return {"faces": faces}


@router.post("/attempts/{attempt_id}/submit")
def submit(attempt_id: int, who: ApiWho, uows: Uows) -> dict:
    return {"state": hse_attempts.submit(uow=uows(), who=who, attempt_id=attempt_id)}


@router.get("/results/me")
def my_results(who: ApiWho, uows: Uows) -> dict:
    """The candidate's latest verified result (weakest topics first) and any open attempt."""
    mine = hse_review.my_results(uow=uows(read_only=True), who=who)
    result = None
    if mine.result:
        r = mine.result
        result = {
            "attempt_id": r.attempt_id,
            "passed": r.passed,
            "score": r.score,
            "out_of": r.out_of,
            "pass_mark": r.pass_mark,
            "valid_until": r.valid_until,
            "weakest_topics": [
                {"topic": t.topic, "title": t.title, "correct": t.correct, "asked": t.asked}
                for t in r.weakest
            ],
        }
    return {"result": result, "open_attempt_id": mine.open_attempt_id, "waiting": mine.waiting}


@router.get("/review")
def review_queue(who: ApiWho, uows: Uows) -> dict:
    entries = hse_review.review_queue(uow=uows(), who=who)
    return {"attempts": [e.__dict__ for e in entries]}


class DecisionIn(BaseModel):
    decision: str = Field(description="verify, reject, void or second_review")
    reason: str = Field("", max_length=500)


@router.post("/review/{attempt_id}/decision")
def decide(
    attempt_id: int, body: DecisionIn, who: ApiWho, uows: Uows, settings: SettingsDep
) -> dict:
    state = hse_review.decide(
        uow=uows(),
        who=who,
        attempt_id=attempt_id,
        decision=body.decision,
        reason=body.reason,
        public_url=settings.public_url,
    )
    return {"state": state}


@router.get("/bank.zip", response_class=Response)
def export_bank(who: ApiWho, uows: Uows):
    """The item bank as a QTI 3.0 package."""
    data = hse_bank.export_package(uow=uows(read_only=True), who=who)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="hse-bank.zip"'},
    )


@router.post("/bank")
def import_bank(
    who: ApiWho, uows: Uows, package: Annotated[UploadFile, File(description="QTI 3.0 zip")]
) -> dict:
    data = package.file.read(MAX_PACKAGE_BYTES + 1)
    counts = hse_bank.import_package(uow=uows(), who=who, data=data)
    return counts.__dict__


class ItemOut(BaseModel):
    """An item as the bank's managers see it: with its key and explanation. Candidates never
    get this (their questions come from ``/attempts``)."""

    code: str
    version: int
    topic: str
    status: str
    stem: str
    options: list[str]
    key: int = Field(description="the right option, from 0")
    explanation: str
    language: str


class ItemChangesIn(BaseModel):
    """Only the fields sent are changed."""

    stem: str | None = Field(None, max_length=2000)
    options: list[str] | None = Field(None, max_length=8)
    key: int | None = Field(None, ge=0, le=7)
    explanation: str | None = Field(None, max_length=4000)
    topic: str | None = Field(None, max_length=60)
    status: str | None = Field(None, description="draft, live or retired")


class ItemsOut(BaseModel):
    items: list[ItemOut]


@router.get("/items", response_model=ItemsOut)
def list_items(who: ApiWho, uows: Uows, topic: str = "", status: str = ""):
    """The newest version of every item (scheme and hub admins), by topic and status."""
    _settings, items = hse_bank.find_items(
        uow=uows(read_only=True), who=who, topic=topic[:60], status=status[:20]
    )
    return {"items": [ItemOut.model_validate(i, from_attributes=True) for i in items]}


@router.put("/items/{code}", response_model=ItemOut)
def revise_item(code: str, body: ItemChangesIn, who: ApiWho, uows: Uows):
    """Change an item: a live one gets a new version (attempts keep theirs), a draft is
    changed in place. Answers the item as it now stands."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    item = hse_bank.revise_item(uow=uows(), who=who, code=code, **changes)
    return ItemOut.model_validate(item, from_attributes=True)


class AdjustmentIn(BaseModel):
    cardholder_id: int
    extra_minutes: int = Field(0, ge=0, le=600)
    reader: bool = False
    large_text: bool = False
    language: str = Field("en", max_length=10)


@router.put("/adjustments")
def grant_adjustment(body: AdjustmentIn, who: ApiWho, uows: Uows) -> dict:
    """Reasonable adjustments for a candidate (a scheme admin or invigilator of their
    scheme); who granted them is recorded, and the audit log says so."""
    granted = invigilation.grant_adjustment(uow=uows(), who=who, **body.model_dump())
    return {
        "cardholder_id": granted.cardholder_id,
        "extra_minutes": granted.extra_minutes,
        "reader": granted.reader,
        "large_text": granted.large_text,
        "language": granted.language,
        "granted_by": granted.granted_by,
        "granted_at": granted.granted_at,
    }


class ConflictIn(BaseModel):
    cardholder_id: int
    relationship: str = Field(max_length=100, description="e.g. my brother")


@router.post("/conflicts", status_code=201)
def declare_conflict(body: ConflictIn, who: ApiWho, uows: Uows) -> dict:
    """An invigilator declares an interest in a candidate, whom they then cannot review."""
    invigilation.declare_conflict(
        uow=uows(), who=who, cardholder_id=body.cardholder_id, relationship=body.relationship
    )
    return {"declared": True}
