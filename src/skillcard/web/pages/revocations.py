"""Revoke every card of a source (a test centre found to be fraudulent): a scheme admin
names the source, sees how many cards and whose, gives a reason and confirms.

- ``GET  /admin/revocations``: the form (scheme, kind of source, reference);
- ``GET  /admin/revocations/preview``: the count, the first few holders, the reason box;
- ``POST /admin/revocations``: revoke them, then say how many and who was told.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Form, Request

from skillcard.domain.accounts import Role, require
from skillcard.domain.provenance import SourceKind
from skillcard.errors import SkillcardError
from skillcard.services.registry import provenance
from skillcard.services.registry.registry import list_schemes
from skillcard.web.deps import PageSession, SettingsDep, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter(prefix="/admin/revocations")
KINDS = [k.value for k in SourceKind]


def _schemes(uows: Uows, who) -> list:
    schemes = list_schemes(uow=uows(read_only=True))
    return [s for s in schemes if who.is_hub_admin or s.id == who.scheme_id]


def _page(request: Request, session, uows: Uows, context: dict, status: int = 200):
    who, csrf = session
    require(who.role in (Role.SCHEME_ADMIN, Role.HUB_ADMIN), "revoke cards by their source")
    base = {
        "who": who,
        "csrf_token": csrf,
        "schemes": _schemes(uows, who),
        "kinds": KINDS,
        "scheme": "",
        "kind": "test_centre",
        "ref": "",
        "reason": "",
        "error": "",
        "error_field": "",
        "preview": None,
        "done": None,
    }
    return render(request, "admin_revocations.html", {**base, **context}, status=status)


@router.get("")
def form(request: Request, session: PageSession, uows: Uows):
    return _page(request, session, uows, {})


@router.get("/preview")
def preview(
    request: Request,
    session: PageSession,
    uows: Uows,
    scheme: str = "",
    kind: str = "",
    ref: str = "",
):
    who, _ = session
    asked = {"scheme": scheme[:20], "kind": kind[:40], "ref": ref[:100]}
    try:
        seen = provenance.preview(
            uow=uows(read_only=True),
            who=who,
            scheme_code=asked["scheme"],
            kind=asked["kind"],
            reference=asked["ref"],
        )
    except SkillcardError as problem:
        if problem.http_status in (401, 403):
            raise
        wrong = {"error": problem.message, "error_field": problem.field or "ref"}
        return _page(request, session, uows, {**asked, **wrong}, problem.http_status)
    return _page(request, session, uows, {**asked, "preview": seen})


@router.post("")
def revoke(
    request: Request,
    session: PageSession,
    uows: Uows,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    scheme: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    ref: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    asked = {"scheme": scheme, "kind": kind, "ref": ref, "reason": reason}
    try:
        done = provenance.revoke_by_provenance(
            uow=uows(),
            who=who,
            scheme_code=scheme,
            kind=kind,
            reference=ref,
            reason=reason,
            public_url=settings.public_url,
        )
    except SkillcardError as problem:
        if problem.http_status in (401, 403):
            raise
        seen = None
        with contextlib.suppress(SkillcardError):  # the source itself was bad: no preview
            seen = provenance.preview(
                uow=uows(read_only=True), who=who, scheme_code=scheme, kind=kind, reference=ref
            )
        wrong = {
            "error": problem.message,
            "error_field": problem.field or ("reason" if seen else "ref"),
            "preview": seen,
        }
        return _page(request, session, uows, {**asked, **wrong}, problem.http_status)
    return _page(request, session, uows, {**asked, "done": done})
