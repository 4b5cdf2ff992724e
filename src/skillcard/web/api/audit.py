"""The hub's signed checkpoints of the audit chain: public, for anyone to keep elsewhere.

A copy kept outside the hub's database is what shows a rewrite of the chain by someone who
could write to it (``skillcard audit verify --checkpoints FILE``). The page has the shape of
``skillcard audit checkpoints export``, so a saved page is a file ``verify`` reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from skillcard.domain.audit_checkpoints import CHECKPOINTS_TYPE
from skillcard.services.audit import audit_checkpoints
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import Uows

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERRORS)


@router.get("/checkpoints")
def checkpoints(
    uows: Uows,
    after: Annotated[int, Query(ge=0, lt=2**62, description="the sequence number to page on")] = 0,
    limit: Annotated[int, Query(ge=1, le=audit_checkpoints.MAX_PAGE)] = 100,
) -> dict:
    """Signed checkpoints of the audit chain past sequence number ``after``, oldest first:
    each is ``{type, version, seq, hash, time, kid, signature}``, signed ES256 by the hub's key
    like the trust list. ``next_after`` is the ``after`` of the next page (null on the last)."""
    found, next_after = audit_checkpoints.published_checkpoints(
        uow=uows(read_only=True), after=after, limit=limit
    )
    return {"type": CHECKPOINTS_TYPE, "version": 1, "checkpoints": found, "next_after": next_after}
