"""What MyCard's page modules share: form types, the evidence store, uploads, the holder."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, UploadFile

from skillcard.adapters.evidence_store import MAX_EVIDENCE_BYTES, EvidenceStore
from skillcard.domain.accounts import Principal, Role, require

Csrf = Annotated[str, Form(max_length=100)]
Files = Annotated[list[UploadFile] | None, File()]


def evidence_store(request: Request) -> EvidenceStore:
    return EvidenceStore(request.app.state.settings.files_dir)


async def read_files(uploads: list[UploadFile] | None) -> list[tuple[str, bytes]]:
    """The uploaded files, each read to one byte past the cap (so an oversized one is seen and
    refused, never read whole); a file input left empty sends a nameless, empty part."""
    files = []
    for upload in uploads or []:
        data = await upload.read(MAX_EVIDENCE_BYTES + 1)
        if upload.filename or data:
            files.append((upload.filename or "evidence", data))
    return files


def holder_id(who: Principal) -> int:
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "open a cardholder's record: this page is for cardholders",
    )
    return who.cardholder_id
