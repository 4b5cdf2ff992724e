"""What MyCard's page modules share: form types, dates, the evidence store, uploads, the holder,
pages that show a form's problem, and downloads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response

from skillcard.adapters.evidence_store import MAX_EVIDENCE_BYTES, EvidenceStore
from skillcard.domain.accounts import Principal, Role, require, tied
from skillcard.errors import InvalidInput, SkillcardError
from skillcard.web.pages.rendering import render

Csrf = Annotated[str, Form(max_length=100)]
Files = Annotated[list[UploadFile] | None, File()]


def evidence_store(request: Request) -> EvidenceStore:
    return EvidenceStore(request.app.state.files)


def read_files(uploads: list[UploadFile] | None) -> list[tuple[str, bytes]]:
    """The uploaded files, each read to one byte past the cap (so an oversized one is seen and
    refused, never read whole); a file input left empty sends a nameless, empty part."""
    files = []
    for upload in uploads or []:
        data = upload.file.read(MAX_EVIDENCE_BYTES + 1)
        if upload.filename or data:
            files.append((upload.filename or "evidence", data))
    return files


def holder_id(who: Principal) -> int:
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "open a cardholder's record: this page is for cardholders",
    )
    return tied(who.cardholder_id, "a cardholder")


def form_date(text: str, problem: str, field: str | None = None) -> dt.date:
    """The date typed in a form field (2026-03-14); else InvalidInput saying ``problem``."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(problem, field=field) from None


def raise_for_error_page(problem: SkillcardError, statuses: tuple[int, ...] = (401, 403)) -> None:
    """Raise ``problem`` on to the error pages when its status is one of ``statuses``; a form's
    own page shows any other problem beside its fields."""
    if problem.http_status in statuses:
        raise problem


def form_page(
    request: Request,
    template: str,
    who,
    csrf: str,
    problem: SkillcardError | None = None,
    **context,
):
    """``template`` for ``who``; a ``problem`` the form met is shown, with its HTTP status."""
    return render(
        request,
        template,
        {"who": who, "csrf_token": csrf, "error": problem.message if problem else "", **context},
        status=problem.http_status if problem else 200,
    )


def download(data: bytes | str, media_type: str, filename: str) -> Response:
    """``data`` as a file the browser saves as ``filename``."""
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
