"""Where cards came from, and revoking every card of a source found to be fraudulent.

    preview(...)               how many cards, a sample of whose (the admin's own scheme)
    revoke_by_provenance(...)  one transaction: every active or suspended card of the source
                               revoked with the reason, ONE audit event, the status list
                               re-signed once, holders and the businesses holding the cards
                               told through the outbox, the changes gathered for the feed

The cards are changed set-based (:meth:`CardSources.set_status`), never loaded one by one:
a test centre may have passed 50,000 people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from skillcard.domain.accounts import Principal, Role, can_manage_scheme, require
from skillcard.domain.cards import Action, CardStatus, revocation_reason, statuses_allowing
from skillcard.domain.outbox import Mail
from skillcard.domain.provenance import SAMPLE_SIZE, Source, numbers_digest
from skillcard.domain.schemes import Scheme
from skillcard.errors import Conflict
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.credentials import status_lists
from skillcard.services.federation.change_feed import publish_card_changes
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.ports.provenance import SourcedCard
from skillcard.services.registry.cards import visible_card
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork

REVOCABLE = statuses_allowing(Action.REVOKE)  # active and suspended, by the one table
LISTED_IN_A_MAIL = 200  # a business with more hears the count and the first 200 numbers


@dataclass(frozen=True)
class RevocationPreview:
    scheme_code: str
    source: Source
    count: int
    sample: list[SourcedCard]  # the first few, by card number


@dataclass(frozen=True)
class RevocationResult:
    scheme_code: str
    source: Source
    count: int
    digest: str  # SHA-256 of the sorted card numbers, as the audit event records it
    holders_told: int
    businesses_told: int
    # The (card id, kind) pairs this transaction changed, for the change feed.
    changes: list[tuple[int, str]] = field(default_factory=list)


def card_sources(
    *, uow: AbstractUnitOfWork, who: Principal, number: str, scheme_code: str | None = None
) -> list[Source]:
    """Where a card came from, for those who manage its scheme."""
    with uow:
        card = visible_card(uow, who, number, scheme_code)
        require(can_manage_scheme(who, card.scheme_id), "see where this card came from")
        return uow.card_sources.of_card(card.id)


def _scheme(uow: AbstractUnitOfWork, who: Principal, scheme_code: str) -> Scheme:
    scheme = scheme_named(uow, scheme_code)
    require(can_manage_scheme(who, scheme.id), f"revoke {scheme.code} cards")
    return scheme


def preview(
    *, uow: AbstractUnitOfWork, who: Principal, scheme_code: str, kind: str, reference: str
) -> RevocationPreview:
    """How many of the scheme's cards a revocation of this source would revoke, and whose."""
    source = Source.of(kind, reference)
    with uow:
        scheme = _scheme(uow, who, scheme_code)
        k, ref = source.kind.value, source.reference
        count = uow.card_sources.count_from(scheme.id, k, ref, REVOCABLE)
        sample = uow.card_sources.cards_from(scheme.id, k, ref, REVOCABLE, limit=SAMPLE_SIZE)
        return RevocationPreview(scheme.code, source, count, sample)


def revoke_by_provenance(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    kind: str,
    reference: str,
    reason: str,
    public_url: str = "http://localhost:8000",
    now: dt.datetime | None = None,
) -> RevocationResult:
    """Revoke every active or suspended card of the scheme that came through the source, all
    or nothing, in one transaction."""
    source = Source.of(kind, reference)
    reason = revocation_reason(reason)
    now = now or utcnow()
    with uow:
        scheme = _scheme(uow, who, scheme_code)
        k, ref = source.kind.value, source.reference
        revoked = uow.card_sources.cards_from(scheme.id, k, ref, REVOCABLE, lock=True)
        ids = [c.card_id for c in revoked]
        changed = uow.card_sources.set_status(ids, CardStatus.REVOKED, reason, REVOCABLE)
        if changed != len(ids):  # locked on PostgreSQL; SQLite has one writer at a time
            raise Conflict("some of these cards changed meanwhile: nothing was revoked, try again")
        digest = numbers_digest(c.number for c in revoked)
        record(
            uow,
            who,
            "card.revoke_by_provenance",
            "scheme",
            scheme.code,
            reason=reason,
            now=now,
            detail={
                "source": {"kind": k, "reference": ref},
                "count": len(ids),
                "card_numbers_sha256": digest,
                "first": revoked[0].number if revoked else None,
                "last": revoked[-1].number if revoked else None,
            },
        )
        if ids:
            status_lists.cards_changed(uow, scheme.id, [(i, CardStatus.REVOKED) for i in ids], now)
        holders = _tell_holders(uow, scheme, revoked, reason, now)
        businesses = _tell_businesses(uow, scheme, revoked, public_url, now)
        changes = [(card_id, "status") for card_id in ids]
        told = {"action": "revoke", "reason": reason}
        publish_card_changes(
            uow, changes, now, details=dict.fromkeys(ids, told)
        )  # last: it holds the feed's turn
        uow.commit()
    return RevocationResult(scheme.code, source, len(ids), digest, holders, businesses, changes)


def _tell_holders(
    uow: AbstractUnitOfWork,
    scheme: Scheme,
    revoked: list[SourcedCard],
    reason: str,
    now: dt.datetime,
) -> int:
    messages = [
        Mail(
            to_address=card.holder_email,
            subject=f"Your {scheme.code} card {card.number} has been revoked",
            body=(
                f"Dear {card.holder_name},\n\n"
                f"{scheme.name} has revoked your card {card.number}. It is no longer valid and "
                f"checks of it will show it as revoked.\n\nThe reason given: {reason}\n\n"
                f"If you think this is wrong, contact {scheme.name}."
            ),
            kind="card.revoked",
            created_at=now,
        )
        for card in revoked
        if card.holder_email
    ]
    uow.outbox.add_many(messages)
    return len(messages)


def _tell_businesses(
    uow: AbstractUnitOfWork,
    scheme: Scheme,
    revoked: list[SourcedCard],
    public_url: str,
    now: dt.datetime,
) -> int:
    """One mail per business whose workforce holds any of the cards, not one per card."""
    by_id = {card.card_id: card for card in revoked}
    told = 0
    for business in uow.card_sources.businesses_holding(list(by_id)):
        numbers = sorted(by_id[i].number for i in business.card_ids)
        lines = [f"- {n}" for n in numbers[:LISTED_IN_A_MAIL]]
        if len(numbers) > LISTED_IN_A_MAIL:
            lines.append(f"... and {len(numbers) - LISTED_IN_A_MAIL} more")
        body = "\n".join(
            [
                f"{scheme.name} has revoked {len(numbers)} card(s) held by people in the "
                f"workforce of {business.name}. These cards are no longer valid:",
                "",
                *lines,
                "",
                f"See your workforce: {public_url.rstrip('/')}/business",
            ]
        )
        admins = uow.businesses.users_of(business.business_id, Role.BUSINESS_ADMIN)
        for admin in admins:
            if admin.active:
                queue_email(
                    uow,
                    to=admin.email,
                    subject=f"{len(numbers)} card(s) in your workforce revoked by {scheme.code}",
                    body=body,
                    kind="card.revoked.business",
                    now=now,
                )
        told += 1
    return told
