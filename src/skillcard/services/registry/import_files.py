"""Where a card import's file is kept while it runs: in the file store (kind ``uploads``), so
a job runner on any host finds it; deleted once the import has ended (a run cut short keeps
it for the next). The per-row results stay in the database (``card_import_rows``)."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from skillcard.domain.accounts import Principal
from skillcard.errors import SkillcardError
from skillcard.services.files.file_store import FileStore
from skillcard.services.registry.card_imports import run_import
from skillcard.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)
NO_UPLOAD = "the uploaded file is no longer kept: send it again"


def upload_key(import_id: str) -> str:
    return f"{import_id}.import"


def run_from_store(
    *,
    uow_factory: Callable[..., AbstractUnitOfWork],
    files: FileStore,
    who: Principal,
    import_id: str,
    now: dt.datetime | None = None,
) -> None:
    """Run a queued import whose file is in the store, on whichever host."""
    folder = Path(tempfile.mkdtemp(prefix="skillcard-import-"))
    ended = False
    try:
        parts = files.stream("uploads", upload_key(import_id))
        if parts is None:
            with uow_factory() as uow:
                found = uow.card_imports.get(import_id)
                if found is not None and not found.ended:
                    uow.card_imports.update(import_id, status="failed", message=NO_UPLOAD)
                    uow.commit()
            return
        source = folder / "upload"
        with source.open("wb") as out:
            for part in parts:
                out.write(part)
        ended = run_import(
            uow_factory=uow_factory, who=who, import_id=import_id, source=source, now=now
        ).ended
    except SkillcardError:
        log.warning("card import %s could not run", import_id, exc_info=True)
        ended = True
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if ended:
            files.delete("uploads", upload_key(import_id))
