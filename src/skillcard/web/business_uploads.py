"""What the Business Check API and pages share: a bulk upload spooled to a temporary file as
it streams in, kept in the file store (so any host can run or resume it), the job run in a
background thread, and the result put in the file store for every host to hand out."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from fastapi import Request, UploadFile
from fastapi.responses import StreamingResponse

from skillcard.adapters.bulk_csv import MAX_ROWS
from skillcard.domain.accounts import Principal
from skillcard.domain.business import BulkJob
from skillcard.errors import InvalidInput, SkillcardError
from skillcard.services import bulk_check, bulk_results
from skillcard.services.business_budget import Budget
from skillcard.services.file_store import FileStore
from skillcard.web.deps import UnitOfWorkFactory

log = logging.getLogger(__name__)
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
    store (where a runner on any host finds it) and start the job in a thread; the caller
    answers at once with the job's id. Blocking (the file is copied and read): called from
    plain ``def`` routes, which run in the thread pool."""
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to upload")
    source = _spool(upload)
    files: FileStore = request.app.state.files
    uows = UnitOfWorkFactory(request.app.state.engine)
    try:
        job = bulk_check.start_bulk(
            uow=uows(),
            who=who,
            filename=upload.filename,
            source=source,
            budget=budget,
            runner=runner_name(),
        )
        # named by its job from now on, so a restart finds it (bulk_results.interrupt_orphans)
        with source.open("rb") as spooled:
            files.put_stream("uploads", bulk_results.upload_key(job.id), iter_file(spooled))
    finally:
        source.unlink(missing_ok=True)
    threading.Thread(
        target=_run,
        args=(uows, who, files, job, budget),
        daemon=True,
        name=f"bulk-{job.id}",
    ).start()
    return job


def iter_file(file) -> Iterator[bytes]:
    while chunk := file.read(CHUNK):
        yield chunk


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
    bulk_results.interrupt_orphans(
        uow_factory=UnitOfWorkFactory(app.state.engine),
        files=app.state.files,
        host=socket.gethostname(),
        alive=_alive,
    )


def _run(uows, who, files: FileStore, job: BulkJob, budget: Budget) -> None:
    try:
        bulk_results.run_from_store(uow_factory=uows, files=files, who=who, job=job, budget=budget)
    except SkillcardError:
        pass  # the job says why it failed
    except Exception:  # the job says it failed; the log says where
        log.exception("bulk check %s failed", job.id)
