"""The card change feed: pull by cursor, and a scheme's webhook. Bearer token; the services
decide who sees what (a scheme its own cards, a business its workforce, the hub all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from skillcard.domain.card_changes import MAX_PAGE
from skillcard.services.federation import change_feed, scheme_webhooks
from skillcard.web.api.business import delivery_json
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import ApiWho, Uows

router = APIRouter(prefix="/changes", tags=["changes"], responses=ERRORS)


class ChangePublic(BaseModel):
    cursor: str = Field(description="where to resume after this entry (opaque)")
    kind: str = Field(description="issued, renewed, status, expiry_near or holder")
    scheme: str
    card_number: str
    card_type: str
    status: str
    issued_on: str
    expires_on: str
    holder_name: str
    occurred_at: str
    detail: dict


class ChangePage(BaseModel):
    changes: list[ChangePublic]
    next: str = Field(description="the cursor to ask with next (the same if nothing was new)")


class SchemeWebhook(BaseModel):
    scheme: str = Field(max_length=20)
    url: str | None = Field(None, max_length=500)


@router.get("", response_model=ChangePage)
def changes(
    who: ApiWho,
    uows: Uows,
    after: Annotated[str | None, Query(max_length=40, description="a cursor from `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    scheme: Annotated[str | None, Query(max_length=20, description="one scheme's cards")] = None,
):
    """Every change to the cards you may see, in order, after the cursor ``after`` (from the
    start without one): issued, renewed, status, expiry_near, holder. Keep ``next`` and ask
    again with it; you see each change exactly once. A cursor this feed never gave: 400."""
    page = uows.replica_first(
        lambda uow: change_feed.read_changes(
            uow=uow, who=who, after=after, limit=limit, scheme=scheme
        )
    )
    return {"changes": [c.as_json() for c in page.changes], "next": page.next}


@router.put("/webhook")
def set_webhook(body: SchemeWebhook, who: ApiWho, uows: Uows):
    """A scheme's own cards' changes posted to a URL as they happen, signed:
    X-Skillcard-Signature: sha256=HMAC-SHA256(secret, body). The secret is shown once, here.
    Only a public https address is accepted (422 otherwise); no URL clears it."""
    secret = scheme_webhooks.set_scheme_webhook(
        uow=uows(), who=who, scheme_code=body.scheme, url=body.url
    )
    return {"secret": secret}


@router.get("/webhook")
def webhook_status(
    who: ApiWho, uows: Uows, scheme: Annotated[str, Query(min_length=1, max_length=20)]
):
    """The scheme's change webhook and its latest delivery: state (pending, delivered,
    failed: given up), attempts, the last HTTP status or error, and when it is tried next."""
    status = scheme_webhooks.scheme_webhook_status(
        uow=uows(read_only=True), who=who, scheme_code=scheme
    )
    return {"url": status.url, "last_delivery": delivery_json(status.last)}
