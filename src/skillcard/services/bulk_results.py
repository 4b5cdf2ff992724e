"""Where a bulk check's files are kept (the upload while it runs, the result after), and for
how long.

One rule for both: they are kept while the job runs and, once it is done, its result for
``SKILLCARD_BULK_RESULT_DAYS``; a job with no result to give (failed) keeps neither. A job
whose worker died is not lost: the queue runs it again and it goes on where it stopped (see
bulk_check), so its upload stays until the job has ended.

A result file lists card holders' names and the state of their cards, so it is kept only
``SKILLCARD_BULK_RESULT_DAYS`` (default 30) after the check finished. :func:`purge_results`
deletes older files and marks their jobs ``expired``, with a message saying so; asking for
such a result then answers 410 Gone with that message (:func:`result_to_download`), not a
missing file. The job itself stays: its counts, and the checks in the business's history,
are the business's own record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from skillcard.adapters import bulk_csv
from skillcard.domain.accounts import Principal, require
from skillcard.domain.business import BulkJob, BulkStatus
from skillcard.errors import Gone, NotFound
from skillcard.services.audit import record, utcnow
from skillcard.services.business import business_id_for
from skillcard.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)


def result_file(folder: Path, job_id: str) -> Path:
    """The result CSV of a job, in the folder of bulk files (``files_dir/bulk``)."""
    return folder / f"{job_id}.result.csv"


def upload_file(folder: Path, job_id: str) -> Path:
    """The uploaded CSV a job reads while it runs (deleted when it ends)."""
    return folder / f"{job_id}.upload.csv"


def drop_files(folder: Path, job_id: str, *, result: bool = True) -> None:
    """Delete a job's upload and, unless kept (a done job's), its result."""
    files = [upload_file(folder, job_id)] + ([result_file(folder, job_id)] if result else [])
    for path in files:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not delete %s", path, exc_info=True)


def drop_upload_once_ended(
    uow_factory: Callable[[], AbstractUnitOfWork], folder: Path, job_id: str
) -> None:
    """After a run of a job: its upload goes once the job has ended (a retry still needs it),
    and a failed job's partial result with it."""
    with uow_factory() as uow:
        job = uow.bulk_jobs.by_id(job_id)
    if job is None or job.status not in (BulkStatus.QUEUED, BulkStatus.RUNNING):
        drop_files(folder, job_id, result=job is None or job.status != BulkStatus.DONE)


def expired_message(days: int) -> str:
    return f"the result was deleted after {days} days: run the check again"


def require_result(job: BulkJob, path: Path) -> None:
    """Gone (410) for a job whose result was deleted, saying so; else nothing."""
    if job.status == BulkStatus.EXPIRED:
        raise Gone(job.message or "the result was deleted: run the check again")
    if job.status == BulkStatus.DONE and not path.is_file():
        # Deleted by the purge just before its job was marked, or by hand.
        raise Gone("the result is no longer kept: run the check again")


def result_to_download(
    *, uow: AbstractUnitOfWork, who: Principal, job_id: str, folder: Path
) -> Path:
    """The result file of one of the caller's finished jobs, for every door that hands it
    out: 410 once purged, 404 until done; who downloaded it is kept (it lists holders' names).
    """
    business_id = business_id_for(who)
    with uow:
        job = uow.bulk_jobs.get(business_id, job_id)
        if job is None:
            raise NotFound("no such bulk check in your business")
        path = result_file(folder, job.id)
        require_result(job, path)
        if job.status != BulkStatus.DONE or not path.is_file():
            raise NotFound("the result is not ready yet: wait until the check is done")
        record(uow, who, "bulk.download", "bulk_job", job.id)
        uow.commit()
    return path


@dataclass
class Purge:
    """The jobs whose result files went (or would go, in a dry run), and those kept because
    their file could not be deleted (the next purge tries again)."""

    days: int
    expired: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dry_run: bool = False


def purge_results(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    who: Principal,
    folder: Path,
    days: int,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> Purge:
    """Delete the result files of jobs finished more than ``days`` ago (or started that long
    ago and never finished) and mark the jobs expired, each audited as ``bulk.purge``."""
    require(who.is_hub_admin, "purge bulk check results")
    now = now or utcnow()
    done = Purge(days=days, dry_run=dry_run)
    with uow_factory() as uow:
        jobs = uow.bulk_jobs.past_keeping(now - dt.timedelta(days=days))
    if dry_run:
        done.expired = [job.id for job in jobs]
        return done
    for job in jobs:
        # The file goes first: if marking the job fails, the next purge finds it again.
        try:
            result_file(folder, job.id).unlink(missing_ok=True)
            upload_file(folder, job.id).unlink(missing_ok=True)
        except OSError:
            log.warning("could not delete the result of bulk check %s", job.id, exc_info=True)
            done.kept.append(job.id)
            continue
        done.expired.append(job.id)
    if not done.expired:
        return done
    message = expired_message(days)
    with uow_factory() as uow:
        for job_id in done.expired:
            uow.bulk_jobs.update(job_id, status=BulkStatus.EXPIRED.value, message=message)
            record(uow, who, "bulk.purge", "bulk_job", job_id, detail={"days": days}, now=now)
        uow.commit()
    return done


def rows_to_look_at(path: Path, *, page: int, per_page: int) -> bulk_csv.RowsToLookAt:
    """Page ``page`` (from 1) of a finished result's rows that are not valid or had an error;
    the caller has checked the job is the business's own (``bulk_check.job_status``)."""
    start = (max(1, page) - 1) * per_page
    return bulk_csv.rows_to_look_at(path, start=start, count=per_page)
