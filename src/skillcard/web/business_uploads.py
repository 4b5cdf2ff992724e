"""What the Business Check API and pages share: a bulk upload saved to disk as it streams in,
its job queued with it (run by the job runner, not by this request's process), and the
result file's place."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from pathlib import Path

from fastapi import Request, UploadFile

from skillcard.adapters.bulk_csv import MAX_ROWS
from skillcard.domain.accounts import Principal
from skillcard.domain.business import BulkJob
from skillcard.errors import InvalidInput
from skillcard.services import bulk_check, bulk_results
from skillcard.services.business_budget import Budget

log = logging.getLogger(__name__)
MAX_BYTES = 25 * 1024 * 1024  # 50,000 rows of number, surname, scheme, label fit in far less
CHUNK = 64 * 1024


def bulk_dir(request: Request) -> Path:
    folder = Path(request.app.state.settings.files_dir) / "bulk"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def result_path(request: Request, job_id: str) -> Path:
    return bulk_results.result_file(bulk_dir(request), job_id)


def start_upload(
    request: Request, upload: UploadFile | None, who: Principal, budget: Budget
) -> BulkJob:
    """Save the upload (refusing it past 25 MB), check it can be read, and open its job, queued
    in the same transaction; the caller answers at once with the job's id. Blocking (the file
    is copied and read): called from plain ``def`` routes, which run in the thread pool."""
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to upload")
    job_id = uuid.uuid4().hex
    # Saved under its job's name before the job exists: a runner never finds a job without
    # its file (a rolled-back job leaves a file, deleted below).
    source = bulk_results.upload_file(bulk_dir(request), job_id)
    size = 0
    with source.open("wb") as out:
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
    uows = request.app.state.uows
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
        source.unlink(missing_ok=True)
        raise


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
    return start_runner(settings, engine, app.state.uows)
