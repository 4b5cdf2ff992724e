"""A card's history as its checks need it: what it stood as before and after each change
(recorded by ``cards._change`` in the audit trail), so that a check made offline, or a
business's check, can be judged as the card stood at that moment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from skillcard.domain.cards import Card, CardChange, CardStatus
from skillcard.services.unit_of_work import AbstractUnitOfWork


def standing(card: Card) -> dict[str, Any]:
    # What a check of the card at a given moment depends on: see card_changes.
    return {
        "status": str(card.status),
        "issued_on": card.issued_on.isoformat(),
        "expires_on": card.expires_on.isoformat(),
    }


def card_changes(uow: AbstractUnitOfWork, number: str) -> list[CardChange]:
    """A card's changes, read from its audit trail, where ``cards._change`` records its status,
    validity and expiry before and after each suspension, reinstatement, revocation,
    replacement and renewal. (Events written before the start date was recorded give none.)"""
    changes = []
    for event in uow.audit.for_entity("card", number):
        detail = event.detail if isinstance(event.detail, dict) else {}
        try:
            before = detail["before"]
            issued = before.get("issued_on")
            change = CardChange(
                event.occurred_at,
                CardStatus(before["status"]),
                dt.date.fromisoformat(before["expires_on"]),
                dt.date.fromisoformat(issued) if issued is not None else None,
            )  # fmt: skip
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # an issue, which has no "before"
        changes.append(change)
    return changes
