"""Maps the domain's plain classes onto the tables, so the domain never imports SQLAlchemy."""

from __future__ import annotations

from sqlalchemy.orm import configure_mappers, registry

from skillcard.adapters.db import (
    business_repositories,
    hse_repositories,
    mycard_repositories,
    provenance_repositories,
    tables,
)
from skillcard.domain.accounts import User
from skillcard.domain.audit import AuditEvent
from skillcard.domain.cards import Card
from skillcard.domain.outbox import OutboxMessage
from skillcard.domain.people import Cardholder, HeldQualification, HseRecord, Membership
from skillcard.domain.schemes import CardType, Occupation, Scheme

mapper_registry = registry(metadata=tables.metadata)
_started = False


def start_mappers() -> None:
    """Map once per process; safe to call again."""
    global _started
    if _started:
        return
    for cls, table in (
        (Scheme, tables.schemes),
        (CardType, tables.card_types),
        (Occupation, tables.occupations),
        (Cardholder, tables.cardholders),
        (HeldQualification, tables.held_qualifications),
        (Membership, tables.memberships),
        (Card, tables.cards),
        (User, tables.users),
        (AuditEvent, tables.audit_events),
        (OutboxMessage, tables.outbox_messages),
        (HseRecord, tables.hse_records),
    ):
        mapper_registry.map_imperatively(cls, table)
    for area in (
        business_repositories,
        hse_repositories,
        mycard_repositories,
        provenance_repositories,
    ):
        area.map_classes(mapper_registry)
    # Configure now, not at the first query: instruments the classes before any object exists.
    configure_mappers()
    _started = True
