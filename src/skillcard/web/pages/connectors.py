"""A scheme admin's page of the scheme's connectors: make one (its token shown once) and see
the latest imports. The connector's own work is the API's (web/api/connector.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from skillcard.errors import InvalidInput
from skillcard.services.accounts import connectors
from skillcard.services.registry import card_imports
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter(prefix="/schemes/{code}/connectors")


def _page(request, uows, session, code, status=200, **extra):
    who, csrf = session
    scheme, imports = card_imports.recent_imports(
        uow=uows(read_only=True), who=who, scheme_code=code[:20]
    )
    values = {"who": who, "csrf_token": csrf, "scheme": scheme, "imports": imports,
              "errors": {}, "made": None, "name": ""}  # fmt: skip
    return render(request, "scheme_connectors.html", {**values, **extra}, status)


@router.get("")
def connectors_page(code: str, request: Request, session: PageSession, uows: Uows):
    return _page(request, uows, session, code)


@router.post("")
def make_connector(
    code: str,
    request: Request,
    session: PageSession,
    uows: Uows,
    name: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    try:
        made = connectors.create_connector(uow=uows(), who=who, scheme_code=code[:20], name=name)
    except InvalidInput as error:
        return _page(request, uows, session, code, 422, errors={"name": error.message}, name=name)
    return _page(request, uows, session, code, made=made)
