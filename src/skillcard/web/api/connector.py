"""The scheme connector's API: a scheme's own system sends its cards with their holders, one
at a time (PUT) or as a file (POST .../imports), with a connector's bearer token (made by a
scheme admin: POST .../connectors). The record rule is docs/connector.md's."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from skillcard.domain.card_records import FIELDS
from skillcard.errors import TooLarge
from skillcard.services.accounts import connectors
from skillcard.services.ports.connector import CardImport
from skillcard.services.registry import card_imports, import_files
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(prefix="/schemes/{code}", tags=["connector"], responses=ERRORS)
MAX_IMPORT_BYTES = 1024**3  # 1 GiB: about 4 million records; larger files are split
CHUNK = 256 * 1024
TOO_LARGE = (
    f"the file is larger than {MAX_IMPORT_BYTES // 1024**3} GB: split it into files of at "
    "most that (each is applied on its own; a snapshot must be one file, so send a snapshot "
    "per card type or contact the hub)"
)


class ConnectorNew(BaseModel):
    name: str = Field(max_length=40, description="lower-case letters, digits, dashes")
    days: int = Field(365, ge=1, le=365)


@router.post("/connectors", status_code=201)
def create_connector(code: str, body: ConnectorNew, who: ApiWho, uows: Uows):
    """A connector for the scheme (its admins only): its token is shown once, here."""
    made = connectors.create_connector(
        uow=uows(), who=who, scheme_code=code, name=body.name, days=body.days
    )
    return {"email": made.email, "scheme": made.scheme_code, "token": made.token}


@router.put("/cards/{number}")
def put_card(
    code: str,
    number: str,
    who: ApiWho,
    uows: Uows,
    record: Annotated[dict[str, Any], Body(description="the record: " + ", ".join(FIELDS))],
):
    """Upsert one card with its holder. The answer says created, updated or unchanged; an
    older version than the one on record is refused (409), saying why."""
    row = card_imports.put_card(uow=uows(), who=who, scheme_code=code, number=number, values=record)
    return {"number": row.number, "outcome": row.outcome, "card_id": row.card_id}


def _import_json(code: str, found: CardImport) -> dict[str, Any]:
    values = dataclasses.asdict(found)
    values["results_url"] = f"/api/v1/schemes/{code}/imports/{found.id}/results"
    return values


@router.post("/imports", status_code=202)
async def start_import(
    code: str,
    request: Request,
    who: ApiWho,
    uows: Uows,
    filename: Annotated[str, Query(max_length=200, description="cards.ndjson or cards.csv")] = "",
    snapshot: bool = False,
    dry_run: bool = False,
):
    """Send a file of records as the request's body (NDJSON, or CSV with the header of
    docs/connector.md), streamed: answered at once with the import's id; poll GET
    .../imports/{id} for progress. At most 1 GB (413 beyond, before it is read)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise TooLarge(TOO_LARGE)
    handle, name = tempfile.mkstemp(prefix="skillcard-import-")
    source, size = Path(name), 0
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_IMPORT_BYTES:
                    raise TooLarge(TOO_LARGE)
                await run_in_threadpool(out.write, chunk)
        if not filename:
            kind = request.headers.get("content-type", "")
            filename = "upload.csv" if "csv" in kind else "upload.ndjson" if "json" in kind else ""
        found = await run_in_threadpool(
            _keep_and_open, request, uows, who, code, source, filename, snapshot, dry_run
        )
    finally:
        source.unlink(missing_ok=True)
    return _import_json(code, found)


def _keep_and_open(request, uows, who, code, source, filename, snapshot, dry_run) -> CardImport:
    files = request.app.state.files
    import_id = uuid.uuid4().hex
    key = import_files.upload_key(import_id)
    with source.open("rb") as kept:
        files.put_stream("uploads", key, iter(lambda: kept.read(CHUNK), b""))
    try:
        return card_imports.open_import(
            uow=uows(), who=who, scheme_code=code, import_id=import_id, filename=filename,
            source=source, snapshot=snapshot, dry_run=dry_run,
        )  # fmt: skip
    except Exception:
        files.delete("uploads", key)
        raise


@router.get("/imports/{import_id}")
def import_progress(code: str, import_id: str, who: ApiWho, uows: Uows):
    """The import's state (queued, checking, applying, done, refused, failed), its rows done
    of its rows, and its counts."""
    found = card_imports.import_status(
        uow=uows(read_only=True), who=who, scheme_code=code, import_id=import_id[:40]
    )
    return _import_json(code, found)


@router.get("/imports/{import_id}/results")
def import_results(code: str, import_id: str, who: ApiWho, uows: Uows):
    """Every row's outcome (created, updated, unchanged, refused) and why, as CSV."""
    lines = card_imports.result_lines(
        uow=uows(read_only=True), who=who, scheme_code=code, import_id=import_id[:40]
    )
    first = next(lines)  # the scheme and the caller are checked before the answer starts
    disposition = f'attachment; filename="import-{import_id[:40]}.csv"'

    def body():
        yield first.encode()
        for line in lines:
            yield line.encode()

    return StreamingResponse(
        body(), media_type="text/csv", headers={"content-disposition": disposition}
    )
