"""What the Business Check API and pages share: a bulk upload saved to disk as it streams in,
the job run in a background thread, and the result file's place."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from pathlib import Path

from fastapi import Request, UploadFile

from skillcard.adapters.bulk_csv import MAX_ROWS
from skillcard.domain.accounts import Principal
from skillcard.domain.business import BulkJob
from skillcard.errors import InvalidInput, SkillcardError
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
    """Save the upload (refusing it past 25 MB), check it can be read, and start the job in
    a thread; the caller answers at once with the job's id. Blocking (the file is copied and
    read): called from plain ``def`` routes, which run in the thread pool."""
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to upload")
    source = bulk_dir(request) / f"upload-{uuid.uuid4().hex}.csv"
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
        job = bulk_check.start_bulk(
            uow=uows(),
            who=who,
            filename=upload.filename,
            source=source,
            budget=budget,
            runner=runner_name(),
        )
    except Exception:
        source.unlink(missing_ok=True)
        raise
    # named by its job from now on, so a restart finds it (see bulk_results.interrupt_orphans)
    source = source.replace(bulk_results.upload_file(bulk_dir(request), job.id))
    result = result_path(request, job.id)
    threading.Thread(
        target=_run,
        args=(uows, who, source, result, job, budget),
        daemon=True,
        name=f"bulk-{job.id}",
    ).start()
    return job


def runner_name() -> str:
    """This process among every host's: what a job is run by."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process by that number
        return True
    return True


def interrupt_orphans(app) -> None:
    """At the serving process's start: the bulk checks this host's dead processes were
    running are marked interrupted at once, and their files deleted."""
    folder = Path(app.state.settings.files_dir) / "bulk"
    bulk_results.interrupt_orphans(
        uow_factory=app.state.uows,
        folder=folder,
        host=socket.gethostname(),
        alive=_alive,
    )


def _run(uows, who, source: Path, result: Path, job: BulkJob, budget: Budget) -> None:
    try:
        bulk_check.run_bulk(
            uow_factory=uows,
            who=who,
            source=source,
            result=result,
            business_id=job.business_id,
            budget=budget,
            job_id=job.id,
        )
    except SkillcardError:
        pass  # the job says why it failed
    except Exception:  # the job says it failed; the log says where
        log.exception("bulk check %s failed", job.id)
    finally:
        source.unlink(missing_ok=True)
