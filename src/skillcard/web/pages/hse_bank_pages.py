"""The HSE item bank's pages: scheme and hub admins read it, only hub admins edit it.

- ``GET /admin/hse/items``: the newest version of every item, filtered by ``topic`` and
  ``status`` (query parameters);
- ``GET /admin/hse/items/{code}``: one item, its versions and the form to edit it;
  ``POST`` the form: a live item gets a new version (attempts keep theirs), a draft is
  edited in place. The service checks the rights and the item.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from skillcard.domain.assessment import OPTION_LETTERS, ItemStatus, can_edit_item_bank
from skillcard.errors import SkillcardError
from skillcard.services.hse import hse_bank
from skillcard.web.deps import PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter(prefix="/admin/hse")
STATUSES = [s.value for s in ItemStatus]
# Which field of the form an item's refusal is about, by the words of the message.
# "the key is not one of the options" is about the key: the key is looked for first.
# The item's fields as the form names them (its options and key are lists of inputs).
FORM_ID_OF_FIELD = {"options": "option-0", "key": "key-0"}


@router.get("/items")
def items(request: Request, session: PageSession, uows: Uows, topic: str = "", status: str = ""):
    who, csrf = session
    settings, found = hse_bank.find_items(
        uow=uows(read_only=True), who=who, topic=topic[:60], status=status[:20]
    )
    context = {
        "who": who,
        "csrf_token": csrf,
        "items": found,
        "settings": settings,
        "statuses": STATUSES,
        "topic": topic,
        "status": status,
    }
    return render(request, "hse_bank_items.html", context)


@router.get("/items/{code}")
def item(request: Request, code: str, session: PageSession, uows: Uows, saved: str = ""):
    who, csrf = session
    settings, versions = hse_bank.item_versions(uow=uows(read_only=True), who=who, code=code)
    newest = versions[-1]
    form = {
        "stem": newest.stem,
        "options": list(newest.options),
        "key": newest.key,
        "explanation": newest.explanation,
        "topic": newest.topic,
        "status": newest.status,
    }
    return _item_page(request, who, csrf, settings, versions, form, saved=bool(saved))


@router.post("/items/{code}")
def edit_item(
    request: Request,
    code: str,
    session: PageSession,
    uows: Uows,
    stem: Annotated[str, Form(max_length=2000)] = "",
    option_0: Annotated[str, Form(max_length=500)] = "",
    option_1: Annotated[str, Form(max_length=500)] = "",
    option_2: Annotated[str, Form(max_length=500)] = "",
    option_3: Annotated[str, Form(max_length=500)] = "",
    key: Annotated[str, Form(max_length=2)] = "",
    explanation: Annotated[str, Form(max_length=4000)] = "",
    topic: Annotated[str, Form(max_length=60)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    form: dict[str, Any] = {
        "stem": stem,
        "options": [option_0, option_1, option_2, option_3],
        "key": int(key) if key.isdigit() else -1,
        # Browsers send a textarea's line breaks as CRLF: keep them as the bank does.
        "explanation": explanation.replace("\r\n", "\n").strip(),
        "topic": topic,
        "status": status,
    }
    try:
        hse_bank.revise_item(uow=uows(), who=who, code=code, **form)
    except SkillcardError as refused:
        if refused.http_status in (401, 403, 404):
            raise
        settings, versions = hse_bank.item_versions(uow=uows(read_only=True), who=who, code=code)
        return _item_page(
            request,
            who,
            csrf,
            settings,
            versions,
            form,
            error=refused.message,
            error_field=refused.field or "stem",
            status=refused.http_status,
        )
    return RedirectResponse(f"/admin/hse/items/{code}?saved=1", status_code=303)


def _item_page(
    request,
    who,
    csrf,
    settings,
    versions,
    form,
    *,
    error="",
    error_field="",
    saved=False,
    status=200,
):
    context = {
        "who": who,
        "csrf_token": csrf,
        "settings": settings,
        "item": versions[-1],
        "versions": list(reversed(versions)),
        "form": form,
        "letters": OPTION_LETTERS,
        "statuses": STATUSES,
        "error": _plain(error),
        "error_field": FORM_ID_OF_FIELD.get(error_field, error_field),
        "saved": saved,
        "may_edit": can_edit_item_bank(who),  # the form only for those the service lets save
    }
    return render(request, "hse_bank_item.html", context, status=status)


def _plain(message: str) -> str:
    """The item's own refusal without the "item CODE: " it starts with (the page names it)."""
    if message.startswith("item ") and ": " in message:
        return message.split(": ", 1)[1]
    return message
