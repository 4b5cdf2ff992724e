"""The outbox page: in a demo, the e-mail the platform would have sent, links and all."""

from __future__ import annotations

from fastapi import APIRouter, Request

from skillcard.errors import NotFound
from skillcard.services.outbox import outbox
from skillcard.web.deps import OptionalPageSession, SettingsDep, Uows
from skillcard.web.pages.rendering import render

router = APIRouter()


@router.get("/outbox")
def outbox_page(request: Request, session: OptionalPageSession, uows: Uows, settings: SettingsDep):
    who, csrf = session or (None, "")
    if not settings.shows_outbox and not (who and who.is_hub_admin):
        raise NotFound("there is no such page")
    messages = outbox.recent_messages(uow=uows(read_only=True), who=who, demo=settings.shows_outbox)
    context = {"who": who, "csrf_token": csrf, "messages": messages}
    return render(request, "outbox.html", context)
