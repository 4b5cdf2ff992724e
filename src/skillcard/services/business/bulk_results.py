"""Where a bulk check's files are kept (the upload while it runs, the result after), and for
how long.

One rule for both: they are kept while the job runs and, once it is done, its result for
``SKILLCARD_BULK_RESULT_DAYS``; a job with no result to give (failed) keeps neither. A job
whose worker died is not lost: the queue runs it again and it goes on where it stopped (see
bulk_check), so its upload stays until the job has ended.

Both are kept in the file store (kinds ``uploads`` and ``results``: every host reaches them); how
long is ``domain/retention.py``'s rule. A result file lists card holders' names and the state of
their cards, so it is kept only ``SKILLCARD_BULK_RESULT_DAYS`` (default 30) after the check
finished. :func:`purge_results` deletes older files and marks their jobs ``expired``, with a message
saying so; asking for such a result then answers 410 Gone with that message
(:func:`result_to_download`), not a missing file. The job itself stays: its counts, and the checks
in the business's history, are the business's own record."""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillcard.adapters import bulk_csv
from skillcard.domain.accounts import Principal, require
from skillcard.domain.business import BulkJob, BulkStatus
from skillcard.domain.retention import UNFINISHED_JOB, Retention
from skillcard.errors import Gone, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business.business import business_id_for
from skillcard.services.business.business_budget import Budget
from skillcard.services.files.file_store import FileKind, FileStore
from skillcard.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
NO_UPLOAD = "the uploaded file is no longer kept: upload it again"


def result_key(job_id: str) -> str:
    """The name of a job's result CSV in the file store (kind ``results``)."""
    return f"{job_id}.result.csv"


def upload_key(job_id: str) -> str:
    """The name of the uploaded CSV a job reads while it runs (kind ``uploads``; deleted
    when the job ends)."""
    return f"{job_id}.upload.csv"


def drop_files(files: FileStore, job_id: str, *, result: bool = True) -> None:
    """Delete a job's upload and, unless kept (a done job's), its result."""
    doomed: list[tuple[FileKind, str]] = [("uploads", upload_key(job_id))]
    if result:
        doomed.append(("results", result_key(job_id)))
    for kind, key in doomed:
        try:
            files.delete(kind, key)
        except Exception:  # the job's state is what counts; the purge tries again
            log.warning("could not delete %s %s", kind, key, exc_info=True)


def run_from_store(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    files: FileStore,
    who: Principal,
    job_id: str,
    business_id: int,
    budget: Budget,
) -> None:
    """Run a queued job whose upload is in the file store, on whichever host: the upload is
    copied to a temporary folder, checked (going on after the last batch a run before this one
    committed), its result put in the store before the job says done, and the upload deleted
    once the job has ended, however it ends (a run cut short keeps it for the next)."""
    from skillcard.services.business import bulk_check

    folder = Path(tempfile.mkdtemp(prefix="skillcard-bulk-"))
    try:
        parts = files.stream("uploads", upload_key(job_id))
        if parts is None:  # deleted by hand, or a job queued before its upload was kept
            bulk_check.fail_unended(uow_factory, job_id, NO_UPLOAD)
            return
        source = folder / "upload.csv"
        with source.open("wb") as out:
            for part in parts:
                out.write(part)

        def publish(result: Path) -> None:
            with result.open("rb") as written:
                files.put_stream(
                    "results", result_key(job_id), iter(lambda: written.read(CHUNK), b"")
                )

        bulk_check.run_bulk(
            uow_factory=uow_factory,
            who=who,
            source=source,
            result=folder / "result.csv",
            business_id=business_id,
            budget=budget,
            job_id=job_id,
            publish=publish,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        drop_upload_once_ended(uow_factory, files, job_id)


def drop_upload_once_ended(
    uow_factory: Callable[[], AbstractUnitOfWork], files: FileStore, job_id: str
) -> None:
    """After a run of a job: its upload goes once the job has ended (a retry still needs it),
    and a failed job's result with it."""
    with uow_factory() as uow:
        job = uow.bulk_jobs.by_id(job_id)
    if job is None or job.status not in UNFINISHED_JOB:
        drop_files(files, job_id, result=job is None or job.status != BulkStatus.DONE)


def expired_message(days: int) -> str:
    return f"the result was deleted after {days} days: run the check again"


def require_result(job: BulkJob, present: bool) -> None:
    """Gone (410) for a job whose result was deleted, saying so; else nothing."""
    if job.status == BulkStatus.EXPIRED:
        raise Gone(job.message or "the result was deleted: run the check again")
    if job.status == BulkStatus.DONE and not present:
        # Deleted by the purge just before its job was marked, or by hand.
        raise Gone("the result is no longer kept: run the check again")


def result_to_download(
    *, uow: AbstractUnitOfWork, who: Principal, job_id: str, files: FileStore
) -> Iterator[bytes]:
    """The result file of one of the caller's finished jobs, in pieces, for every door that
    hands it out: 410 once purged, 404 until done; who downloaded it is kept (it lists
    holders' names)."""
    business_id = business_id_for(who)
    with uow:
        job = uow.bulk_jobs.get(business_id, job_id)
        if job is None:
            raise NotFound("no such bulk check in your business")
        parts = files.stream("results", result_key(job.id))
        require_result(job, parts is not None)
        if job.status != BulkStatus.DONE or parts is None:
            raise NotFound("the result is not ready yet: wait until the check is done")
        record(uow, who, "bulk.download", "bulk_job", job.id)
        uow.commit()
    return parts


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
    files: FileStore,
    retention: Retention,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> Purge:
    """Delete the result files of jobs finished more than ``days`` ago (or started that long
    ago and never finished) and mark the jobs expired, each audited as ``bulk.purge``."""
    require(who.is_hub_admin, "purge bulk check results")
    now = now or utcnow()
    days = retention.result_days
    done = Purge(days=days, dry_run=dry_run)
    with uow_factory() as uow:
        jobs = uow.bulk_jobs.past_keeping(retention.results_finished_before(now))
    if dry_run:
        done.expired = [job.id for job in jobs]
        return done
    for job in jobs:
        # The file goes first: if marking the job fails, the next purge finds it again.
        try:
            files.delete("results", result_key(job.id))
            files.delete("uploads", upload_key(job.id))
        except Exception:
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


def rows_to_look_at(
    files: FileStore, job_id: str, *, page: int, per_page: int
) -> bulk_csv.RowsToLookAt | None:
    """Page ``page`` (from 1) of a finished result's rows that are not valid or had an error
    (None if the result is not kept); the caller has checked the job is the business's own
    (``bulk_check.job_status``)."""
    parts = files.stream("results", result_key(job_id))
    if parts is None:
        return None
    start = (max(1, page) - 1) * per_page
    reader = io.BufferedReader(ChunkReader(parts))
    text = io.TextIOWrapper(reader, encoding="utf-8-sig", newline="")
    return bulk_csv.rows_to_look_at_in(text, start=start, count=per_page)


class ChunkReader(io.RawIOBase):
    """A read-only binary stream over an iterator of byte chunks (a stored file's parts)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size
