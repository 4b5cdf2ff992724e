"""The daily purge of stored files past their keeping (the rules: ``domain/retention.py``).

- bulk check results (and any upload left behind): :func:`bulk_results.purge_results`;
- an HSE attempt's webcam snapshots and identity photos, once its review was decided longer
  ago than the appeal window: :func:`purge_pictures`, audited as ``hse.pictures.purge``.

A picture is named by its content, so a file another attempt still within its keeping also
has stays. The files go first and the attempts are marked after: if marking fails, the next
purge finds them again and deleting a missing file is no error.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.domain.accounts import Principal, require
from skillcard.domain.retention import Retention
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business import bulk_results
from skillcard.services.files.file_store import FileStore
from skillcard.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)


@dataclass
class PicturePurge:
    attempts: list[int] = field(default_factory=list)
    files: int = 0
    shared: int = 0  # kept: another attempt within its keeping has the same picture
    dry_run: bool = False


@dataclass
class FilePurge:
    results: bulk_results.Purge
    pictures: PicturePurge


def purge_pictures(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    who: Principal,
    files: FileStore,
    retention: Retention,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PicturePurge:
    """Delete the pictures of attempts decided more than the appeal window ago."""
    require(who.is_hub_admin, "purge invigilation pictures")
    now = now or utcnow()
    cutoff = retention.snapshots_decided_before(now)
    with uow_factory() as uow:
        due = uow.hse_attempts.pictures_past_keeping(cutoff)
        digests = set().union(*due.values()) if due else set()
        shared = uow.hse_attempts.pictures_still_kept(digests, cutoff)
    done = PicturePurge(attempts=sorted(due), dry_run=dry_run, shared=len(shared))
    doomed = sorted(digests - shared)
    done.files = len(doomed)
    if dry_run or not due:
        return done
    store = InvigilationFileStore(files)
    for digest in doomed:
        store.remove(digest)
    with uow_factory() as uow:
        uow.hse_attempts.mark_pictures_purged(done.attempts, now)
        for attempt_id in done.attempts:
            detail = {"days": retention.snapshot_appeal_days}
            record(uow, who, "hse.pictures.purge", "hse_attempt", attempt_id, detail=detail)
        uow.commit()
    return done


def purge_files(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    who: Principal,
    files: FileStore,
    retention: Retention,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> FilePurge:
    """Every kind's purge, as the daily scheduler and ``skillcard files purge`` run it."""
    results = bulk_results.purge_results(
        uow_factory=uow_factory, who=who, files=files, retention=retention, dry_run=dry_run, now=now
    )
    pictures = purge_pictures(
        uow_factory=uow_factory, who=who, files=files, retention=retention, dry_run=dry_run, now=now
    )
    return FilePurge(results=results, pictures=pictures)
