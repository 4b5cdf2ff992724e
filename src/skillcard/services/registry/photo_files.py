"""Photo files kept no longer than a cardholder uses them.

A photo is a file named by its SHA-256, shared by every cardholder who has that exact photo,
so a file may go only once no committed row refers to it. The database is the truth: a file
is deleted after the change that stopped using it has committed, never before.

- :func:`discard_if_unused`: after a photo is replaced, delete the old file and its thumbnail
  if nobody else has it. Never raises: a stray file is better than a failed request.
- :func:`sweep_photos`: delete every file no row refers to (left by a crash, or by versions
  that never deleted a replaced photo); audited as ``photos.sweep``.

Two requests may race: one replacing the last use of photo X while another gives someone X
(its upload found the file already there, so wrote nothing). The deleter reads the file,
deletes it, then looks again and puts it back if X came into use meanwhile; the other, once
committed, writes X again if it is gone (see :func:`skillcard.services.registry.photos.set_photo`).
Whichever order they run in, a committed reference ends with its file on disk.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from skillcard.domain.accounts import Principal, require
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.ports.files import PhotoFiles
from skillcard.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)
# A file younger than this may belong to an upload whose transaction has not committed yet.
SWEEP_GRACE = dt.timedelta(hours=1)
_BATCH = 500


def _in_use(uow: AbstractUnitOfWork, sha256: str) -> bool:
    with uow:
        return bool(uow.cardholders.photos_in_use([sha256]))


def discard_if_unused(*, uow: AbstractUnitOfWork, store: PhotoFiles, sha256: str) -> bool:
    """Delete the photo ``sha256`` and its thumbnail if no cardholder has it; whether it went.
    Call only after the change that stopped using it has committed."""
    try:
        if _in_use(uow, sha256):
            return False
        kept = store.get(sha256)
        store.remove(sha256)
        if kept is not None and _in_use(uow, sha256):
            store.keep(sha256, kept)  # given to someone while we looked: it stays
            return False
    except Exception:  # the replacement is committed: a stray file can wait for a sweep
        log.warning("could not delete the unused photo %s", sha256, exc_info=True)
        return False
    return True


@dataclass
class Sweep:
    """What a sweep found and did: orphaned photos (deleted unless a dry run), temporary files
    of interrupted writes, and the orphans it kept after all (back in use, or the delete
    failed: the next sweep tries again)."""

    checked: int = 0
    orphans: list[str] = field(default_factory=list)
    leftovers: int = 0
    kept: list[str] = field(default_factory=list)
    dry_run: bool = False


def sweep_photos(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    store: PhotoFiles,
    who: Principal,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> Sweep:
    """Delete every photo file (older than :data:`SWEEP_GRACE`) that no cardholder has, and
    the temporary files of interrupted writes. A dry run only says what would go."""
    require(who.is_hub_admin, "sweep the photo files")
    before = (now or utcnow()) - SWEEP_GRACE
    found = Sweep(dry_run=dry_run)
    candidates = list(store.stored(before=before))
    found.checked = len(candidates)
    for start in range(0, len(candidates), _BATCH):
        batch = candidates[start : start + _BATCH]
        with uow_factory() as uow:
            used = uow.cardholders.photos_in_use(batch)
        found.orphans += [digest for digest in batch if digest not in used]
    found.leftovers = store.leftovers(before=before)
    if dry_run:
        return found
    for digest in found.orphans:
        # Looked at again one by one: a photo may have come into use since its batch.
        if not discard_if_unused(uow=uow_factory(), store=store, sha256=digest):
            found.kept.append(digest)
    try:
        store.leftovers(before=before, remove=True)
    except OSError:
        log.warning("could not delete the temporary files of cut-short writes", exc_info=True)
    removed = len(found.orphans) - len(found.kept)
    with uow_factory() as uow:
        detail = {"removed": removed, "kept": len(found.kept), "temporary": found.leftovers}
        record(uow, who, "photos.sweep", "photo_store", "all", detail=detail)
        uow.commit()
    return found
