"""What the Business Check API and pages share: a bulk upload spooled to a temporary file as
it streams in and kept in the file store, its job queued with it (run by the job runner, on
whichever host: not by this request's process), and the result handed out from the store."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from fastapi import Request, UploadFile
from fastapi.responses import StreamingResponse

from skillcard.adapters.bulk_csv import MAX_ROWS
from skillcard.domain.accounts import Principal
from skillcard.domain.business import BulkJob
from skillcard.errors import InvalidInput
from skillcard.services.business import bulk_check, bulk_results
from skillcard.services.business.business_budget import Budget
from skillcard.services.files.file_store import FileStore

MAX_BYTES = 25 * 1024 * 1024  # 50,000 rows of number, surname, scheme, label fit in far less
CHUNK = 64 * 1024


def result_download(parts: Iterator[bytes], job_id: str) -> StreamingResponse:
    """A result CSV from the file store, as a download."""
    disposition = f'attachment; filename="bulk-check-{job_id}.csv"'
    return StreamingResponse(
        parts, media_type="text/csv", headers={"content-disposition": disposition}
    )


def _spool(upload: UploadFile) -> Path:
    """The upload copied to a temporary file (refused past 25 MB)."""
    handle, name = tempfile.mkstemp(prefix="skillcard-bulk-", suffix=".csv")
    source, size = Path(name), 0
    with os.fdopen(handle, "wb") as out:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > MAX_BYTES:
                out.close()
                source.unlink(missing_ok=True)
                raise InvalidInput(
                    f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB: a bulk check "
                    f"takes at most {MAX_ROWS:,} rows; split it into smaller files"
                )
            out.write(chunk)
    return source


def start_upload(
    request: Request, upload: UploadFile | None, who: Principal, budget: Budget
) -> BulkJob:
    """Save the upload (refusing it past 25 MB), check it can be read, keep it in the file
    store (where a runner on any host finds it) and open its job, queued in the same
    transaction; the caller answers at once with the job's id. Blocking (the file is copied
    and read): called from plain ``def`` routes, which run in the thread pool."""
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to upload")
    source = _spool(upload)
    files: FileStore = request.app.state.files
    uows = request.app.state.uows
    job_id = uuid.uuid4().hex
    try:
        # Kept under its job's name before the job exists: a runner never finds a job without
        # its file (a job refused or rolled back leaves one, deleted below).
        with source.open("rb") as spooled:
            files.put_stream("uploads", bulk_results.upload_key(job_id), iter_file(spooled))
        try:
            return bulk_check.start_bulk(
                uow=uows(),
                who=who,
                filename=upload.filename,
                source=source,
                budget=budget,
                runner=runner_name(),
                job_id=job_id,
            )
        except Exception:
            bulk_results.drop_files(files, job_id)
            raise
    finally:
        source.unlink(missing_ok=True)


def iter_file(file) -> Iterator[bytes]:
    while chunk := file.read(CHUNK):
        yield chunk


def runner_name() -> str:
    """This process among every host's: who took the upload."""
    return f"{socket.gethostname()}:{os.getpid()}"


def start_job_runner(app):
    """At the serving process's start: the embedded default (SQLite) runs its jobs here, and
    so does PostgreSQL with SKILLCARD_JOBS_IN_PROCESS; else `skillcard worker` runs them."""
    from skillcard.adapters.db.dialect import is_postgresql
    from skillcard.adapters.jobs import start_runner

    settings, engine = app.state.settings, app.state.engine
    if is_postgresql(engine) and not settings.jobs_in_process:
        return None
    return start_runner(settings, engine, app.state.uows, app.state.files)
