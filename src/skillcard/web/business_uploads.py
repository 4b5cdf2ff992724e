"""What the Business Check API and pages share: a bulk upload saved to disk as it streams in,
the job run in a background thread, and the result file's place."""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

from fastapi import Request, UploadFile

from skillcard.adapters.bulk_csv import MAX_ROWS
from skillcard.domain.accounts import Principal
from skillcard.domain.business import BulkJob
from skillcard.errors import InvalidInput, SkillcardError
from skillcard.services import bulk_check, bulk_results
from skillcard.web.deps import UnitOfWorkFactory

log = logging.getLogger(__name__)
MAX_BYTES = 25 * 1024 * 1024  # 50,000 rows of number, surname, scheme, label fit in far less
CHUNK = 64 * 1024


def bulk_dir(request: Request) -> Path:
    folder = Path(request.app.state.settings.files_dir) / "bulk"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def result_path(request: Request, job_id: str) -> Path:
    return bulk_results.result_file(bulk_dir(request), job_id)


async def start_upload(request: Request, upload: UploadFile | None, who: Principal) -> BulkJob:
    """Save the upload (refusing it past 25 MB), check it can be read, and start the job in
    a thread; the caller answers at once with the job's id."""
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to upload")
    source = bulk_dir(request) / f"upload-{uuid.uuid4().hex}.csv"
    size = 0
    with source.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > MAX_BYTES:
                out.close()
                source.unlink(missing_ok=True)
                raise InvalidInput(
                    f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB: a bulk check "
                    f"takes at most {MAX_ROWS:,} rows; split it into smaller files"
                )
            out.write(chunk)
    uows = UnitOfWorkFactory(request.app.state.engine)
    try:
        job = bulk_check.start_bulk(uow=uows(), who=who, filename=upload.filename, source=source)
    except Exception:
        source.unlink(missing_ok=True)
        raise
    result = result_path(request, job.id)
    threading.Thread(
        target=_run, args=(uows, who, source, result, job), daemon=True, name=f"bulk-{job.id}"
    ).start()
    return job


def _run(uows, who, source: Path, result: Path, job: BulkJob) -> None:
    try:
        bulk_check.run_bulk(
            uow_factory=uows,
            who=who,
            source=source,
            result=result,
            business_id=job.business_id,
            job_id=job.id,
        )
    except SkillcardError:
        pass  # the job says why it failed
    except Exception:  # the job says it failed; the log says where
        log.exception("bulk check %s failed", job.id)
    finally:
        source.unlink(missing_ok=True)
