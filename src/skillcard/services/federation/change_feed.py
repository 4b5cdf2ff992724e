"""The card change feed: every change to a card, published in the transaction that makes it,
read in order by cursor, and posted to the webhooks of those who may see it.

    with uow:
        ...change the card...
        publish_card_changes(uow, [(card.id, "status")], now)
        uow.commit()

Order, and "exactly once by cursor", on PostgreSQL. Entry ids come from a sequence, and a
sequence hands out ids in the order transactions ask, not the order they commit: transaction
A takes id 7, B takes id 8 and commits first, a reader reads 8 and keeps cursor 8, then A
commits 7 behind the reader's back and the reader never sees it. So appending is done in
turns: ``publish_card_changes`` first takes a transaction-level advisory lock (one key for the
whole feed, ``uow.card_changes.hold_append_turn``), which PostgreSQL releases only when the
transaction has ended and its rows are visible. A transaction draws its ids only while it holds
the turn, so every id it draws is above every id of the transactions before it, and those are
already committed (or rolled back): ids become visible in order, and a reader never passes one
that is still to come. The turn is held from the publish to the commit, so publish last, just
before committing. SQLite has one writer at a time, which gives the same order by itself.

A rolled-back change is never published: its entries roll back with it, and so do the webhook
deliveries queued beside them and the delivery job asked for at once.

Webhooks go at once: a transaction that queues a delivery also enqueues the delivery job
(``webhooks.deliver``) in itself, unless one is already waiting, which will post this one
too; so a run of changes leaves one job waiting, not one each. The periodic run of the same job
stays, to try again what failed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from skillcard.domain.accounts import Principal
from skillcard.domain.card_changes import (
    ChangeKind,
    PublishedChange,
    decode_cursor,
    encode_cursor,
    entry_of,
    feed_scope,
    page_size,
    pairs_of,
)
from skillcard.domain.webhooks import WebhookDelivery
from skillcard.errors import NotFound
from skillcard.services import jobs
from skillcard.services.ports.federation import NewChange, StoredChange
from skillcard.services.unit_of_work import AbstractUnitOfWork

WEBHOOK_EVENT = "card.changes"


@dataclass(frozen=True)
class FeedPage:
    """Entries after the cursor asked for, in order, and the cursor to ask with next (the
    same one when there was nothing new)."""

    changes: list[PublishedChange]
    next: str


@dataclass(frozen=True)
class Change:
    """A change to publish: a (card id, kind) pair with what else its entry should say, and
    its once-only key where it must be published at most once."""

    card_id: int
    kind: str
    detail: Mapping[str, Any] | None = None
    once: str | None = None


def publish_card_changes(
    uow: AbstractUnitOfWork,
    card_ids_and_kinds: Iterable[tuple[int, str]],
    now: dt.datetime,
    *,
    details: Mapping[int, Mapping[str, Any]] | None = None,
) -> list[PublishedChange]:
    """Publish the changes of the caller's transaction (which commits them, or rolls them back
    unpublished); ``details`` adds to an entry what the change was (a reason, a replacement's
    number), by card id. Call it just before committing (see the module's docstring)."""
    extra = details or {}
    changes = [
        Change(card_id, kind, extra.get(card_id)) for card_id, kind in pairs_of(card_ids_and_kinds)
    ]
    return publish(uow, changes, now)


def publish(
    uow: AbstractUnitOfWork, changes: list[Change], now: dt.datetime
) -> list[PublishedChange]:
    """Append ``changes`` to the feed in the caller's transaction, and queue their delivery to
    every webhook that may see them; the entries as published."""
    if not changes:
        return []
    uow.card_changes.hold_append_turn()  # before any id is drawn: ids commit in order
    facts = uow.card_changes.facts([c.card_id for c in changes])
    rows = []
    for change in changes:
        card = facts[change.card_id]
        entry = entry_of(
            kind=change.kind,
            scheme=card.scheme,
            card_number=card.number,
            card_type=card.card_type,
            status=card.status,
            issued_on=card.issued_on,
            expires_on=card.expires_on,
            holder_name=card.holder_name,
            detail=dict(change.detail or {}),
        )
        rows.append(NewChange(card.card_id, card.scheme_id, change.kind, now, entry, change.once))
    ids = uow.card_changes.append(rows)
    published = [
        _published(StoredChange(i, r.card_id, r.scheme_id, r.kind, r.occurred_at, r.entry))
        for i, r in zip(ids, rows, strict=True)
    ]
    _queue_webhooks(uow, published, rows, now)
    return published


def _published(stored: StoredChange) -> PublishedChange:
    entry = stored.entry
    return PublishedChange(
        card_id=stored.card_id,
        kind=stored.kind,
        cursor=encode_cursor(stored.id),
        scheme=entry["scheme"],
        card_number=entry["card_number"],
        card_type=entry["card_type"],
        status=entry["status"],
        issued_on=entry["issued_on"],
        expires_on=entry["expires_on"],
        holder_name=entry["holder_name"],
        occurred_at=stored.occurred_at.isoformat(),
        detail=dict(entry.get("detail") or {}),
    )


def _queue_webhooks(
    uow: AbstractUnitOfWork,
    published: list[PublishedChange],
    rows: list[NewChange],
    now: dt.datetime,
) -> None:
    """One delivery per webhook per transaction, its entries in feed order, each with its
    cursor: a receiver dedupes by cursor, and after a delivery that was given up, resumes from
    the pull feed at the last cursor it kept."""
    businesses = uow.card_changes.business_subscribers(sorted({r.card_id for r in rows}))
    schemes = uow.scheme_webhooks.with_webhooks([r.scheme_id for r in rows])
    by_target: dict[tuple[str, int], list[PublishedChange]] = {}
    for change, row in zip(published, rows, strict=True):
        if row.scheme_id in schemes:
            by_target.setdefault(("scheme", row.scheme_id), []).append(change)
        for business_id in businesses.get(row.card_id, []):
            by_target.setdefault(("business", business_id), []).append(change)
    if by_target:  # posted at once by a worker, not at the next periodic run
        uow.jobs.enqueue_unless_waiting(jobs.WEBHOOKS, {})
    for (kind, target_id), changes in sorted(by_target.items()):
        body = {
            "event": WEBHOOK_EVENT,
            "changes": [c.as_json() for c in changes],
            "next": changes[-1].cursor,
        }
        uow.webhook_deliveries.add(
            WebhookDelivery(
                business_id=target_id if kind == "business" else None,
                scheme_id=target_id if kind == "scheme" else None,
                event=WEBHOOK_EVENT,
                body=json.dumps(body, sort_keys=True),
                created_at=now,
            )
        )


def read_changes(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    after: str | None = None,
    limit: int | None = None,
    scheme: str | None = None,
) -> FeedPage:
    """The changes ``who`` may see after the cursor ``after`` (from the start without one),
    oldest first, at most ``limit``; InvalidInput for a cursor this feed never gave."""
    after_id = decode_cursor(after)
    size = page_size(limit)
    with uow:
        scheme_id = None
        if scheme:
            found = uow.schemes.by_code(scheme)
            if found is None:
                raise NotFound(f"there is no scheme with the code {scheme!r}")
            scheme_id = found.id
        scope = feed_scope(who, scheme_id)
        stored = uow.card_changes.after(after_id, size, scope)
    changes = [_published(s) for s in stored]
    return FeedPage(changes, changes[-1].cursor if changes else encode_cursor(after_id))


def publish_holder_changed(
    uow: AbstractUnitOfWork, cardholder_id: int, now: dt.datetime, what: list[str]
) -> list[PublishedChange]:
    """A holder's details changed (``what``: e.g. ["name"]): a ``holder`` entry for each of
    their cards (caller commits)."""
    card_ids = uow.card_changes.cards_of_holder(cardholder_id)
    detail = {"changed": sorted(what)}
    return publish(uow, [Change(i, ChangeKind.HOLDER, detail) for i in card_ids], now)
