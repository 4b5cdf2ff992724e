"""Writing and checking the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from skillcard.domain.accounts import Principal
from skillcard.domain.audit import AuditEvent, BrokenLink
from skillcard.services.clock import utcnow  # re-exported: most services import it from here
from skillcard.services.unit_of_work import AbstractUnitOfWork

__all__ = ["history", "record", "utcnow", "verify_audit_chain"]


def record(
    uow: AbstractUnitOfWork,
    who: Principal,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction: it commits or rolls back with the change."""
    event = AuditEvent(
        occurred_at=now or utcnow(),
        actor=who.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        reason=reason,
        detail=detail or {},
    )
    uow.audit.append(event)
    return event


def verify_audit_chain(*, uow: AbstractUnitOfWork, who: Principal) -> tuple[int, BrokenLink | None]:
    """How many events were read, and the first broken link if any.

    The chain shows an altered, removed or re-ordered event; the stored head (the last link
    written) also shows events cut off the end; the hub's checkpoints the database holds show
    a rewrite that recomputed the hashes (see :mod:`skillcard.services.audit.audit_checkpoints`,
    which also checks copies kept elsewhere).
    """
    from skillcard.services.audit.audit_checkpoints import (
        check_audit_log,  # it signs: keys import us
    )

    check = check_audit_log(uow=uow, who=who)
    if check.broken is None and check.refused:
        return check.events, BrokenLink(0, check.refused[0])
    return check.events, check.broken


def history(*, uow: AbstractUnitOfWork, entity_type: str, entity_id: object) -> list[AuditEvent]:
    with uow:
        return uow.audit.for_entity(entity_type, str(entity_id))
