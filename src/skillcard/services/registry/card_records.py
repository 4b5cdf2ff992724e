"""Applying a scheme's card records: the one use case behind every connector door (the PUT of
one card, a file import, ``skillcard import``).

:func:`apply_records` takes a batch of records already checked (domain/card_records.py),
reads the cards and holders they name in one query each, judges every record against the card
on record, and writes the batch set-based: new holders, new cards and their status list
entries, changed cards, and the scheme's status list flipped and signed once, all in the
caller's transaction. The scheme's status list space is locked first, so two batches of one
scheme never interleave (and a card issued by the hub meanwhile waits). A change is therefore
in the signed status list the moment its batch commits: a PUT's before its answer, a file's
batch by batch.

The ``(card_id, kind)`` pairs for the change feed (common_feed.md) are gathered in
:attr:`Applied.feed`, one list per transaction, for ``publish_card_changes``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from skillcard.domain.accounts import Principal
from skillcard.domain.card_records import CardRecord, Judgement, Outcome, StoredCard, judge
from skillcard.domain.cards import CardStatus
from skillcard.domain.schemes import Scheme
from skillcard.domain.status_indexes import entries_for
from skillcard.domain.trust import MIN_STATUS_ENTRIES
from skillcard.services.audit.audit import record as audit
from skillcard.services.credentials import status_lists
from skillcard.services.ports.connector import ImportRow
from skillcard.services.unit_of_work import AbstractUnitOfWork

ENTRY_COLUMNS = ("scheme_id", "status_index", "card_id")


@dataclass
class Applied:
    """What a batch did: a row per record, and the change feed's pairs."""

    rows: list[ImportRow] = field(default_factory=list)
    feed: list[tuple[int, str]] = field(default_factory=list)  # -> publish_card_changes

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome.value)


def apply_records(
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme: Scheme,
    records: list[tuple[int, CardRecord]],
    card_types: dict[str, int],
    now: dt.datetime,
) -> Applied:
    """Apply ``records`` (line, record; numbers unique in the batch) of ``scheme``, whose card
    type ids by code are ``card_types``, in the caller's transaction (it commits)."""
    uow.status_lists.space(scheme.id, lock=True)  # one writer of the scheme's cards at a time
    stored = uow.card_records.stored(scheme.id, [r.number for _, r in records])
    judged = [
        (line, r, stored.get(r.number), judge(r, stored.get(r.number))) for line, r in records
    ]
    judged = _holders_owned(uow, scheme, judged)
    applied = Applied()
    holder_ids = _holders(uow, scheme, judged)
    created = [(line, r) for line, r, _s, j in judged if j.outcome == Outcome.CREATED]
    new_ids = uow.card_records.add_cards(
        [_card_values(scheme, r, card_types, holder_ids[r.holder_ref]) for _, r in created]
    )
    changed: list[tuple[int, CardStatus]] = []  # card id, its new status
    grown = _draw_entries(uow, scheme, new_ids)
    _serials_past(uow, scheme, [r.number for _, r in created])
    new_by_line = dict(zip((line for line, _ in created), new_ids, strict=True))
    updates = []
    for line, r, s, j in judged:
        card_id = new_by_line.get(line, s.id if s is not None else None)
        applied.rows.append(ImportRow(line, r.number, j.outcome.value, j.reason, card_id))
        if card_id is not None:
            applied.feed.extend((card_id, kind) for kind in j.feed_kinds())
        if j.outcome == Outcome.CREATED and r.status != CardStatus.ACTIVE:
            changed.append((new_by_line[line], r.status))
        if s is not None and (j.outcome == Outcome.UPDATED or j.version_only):
            updates.append(_card_update(r, s, card_types))
            if j.status_changed:
                changed.append((s.id, r.status))
                _audit_change(uow, who, r, s, now)
    uow.card_records.update_cards(updates)
    if changed:
        status_lists.cards_changed(uow, scheme.id, changed, now)  # rebuilt if the list grew
    elif grown and uow.status_lists.get(scheme.id, lock=True) is not None:
        status_lists.rebuild_status_list(uow, scheme.id, now)  # it must cover the new entries
    if new_ids:
        audit(uow, who, "card.import", "scheme", scheme.code, now=now,
              detail={"created": len(new_ids), "first_card_id": new_ids[0]})  # fmt: skip
    return applied


def _holders_owned(
    uow: AbstractUnitOfWork,
    scheme: Scheme,
    judged: list[tuple[int, CardRecord, StoredCard | None, Judgement]],
) -> list[tuple[int, CardRecord, StoredCard | None, Judgement]]:
    """Refuse a record that would give a hub holder (adopting the scheme's reference) a
    reference another holder of the scheme already has."""
    adopting = [r.holder_ref for _l, r, s, j in judged if s and s.holder_ref is None and _writes(j)]
    owners = uow.card_records.holders(scheme.id, adopting)
    result = []
    for line, r, s, j in judged:
        owner = owners.get(r.holder_ref)
        if s and s.holder_ref is None and _writes(j) and owner and owner.id != s.cardholder_id:
            j = Judgement(Outcome.REFUSED, f"holder {r.holder_ref} is another cardholder on record")
        result.append((line, r, s, j))
    return result


def _writes(j: Judgement) -> bool:
    return j.outcome in (Outcome.CREATED, Outcome.UPDATED) or j.version_only


def _holders(
    uow: AbstractUnitOfWork,
    scheme: Scheme,
    judged: list[tuple[int, CardRecord, StoredCard | None, Judgement]],
) -> dict[str, int]:
    """The holder id of every record that creates a card (added where new), the holders of
    every record that changes one brought up to date; last record of a holder wins."""
    latest: dict[str, tuple[CardRecord, int | None]] = {}
    for _line, r, s, j in judged:
        if j.outcome == Outcome.CREATED or (s is not None and j.holder_changed):
            latest[r.holder_ref] = (r, s.cardholder_id if s is not None else None)
        elif s is not None and s.holder_ref is None and _writes(j):
            latest[r.holder_ref] = (r, s.cardholder_id)  # adopts the reference
    known = uow.card_records.holders(scheme.id, list(latest))
    ids = {ref: holder.id for ref, holder in known.items()}
    fresh = [r for ref, (r, held) in latest.items() if ref not in ids and held is None]
    fresh_refs = {r.holder_ref for r in fresh}
    new_ids = uow.card_records.add_holders(scheme.id, [_holder_values(r) for r in fresh])
    ids.update(zip((r.holder_ref for r in fresh), new_ids, strict=True))
    changes = []
    for ref, (r, held) in latest.items():
        holder_id = ids.get(ref, held)
        assert holder_id is not None
        ids[ref] = holder_id
        was = known.get(ref)
        same = was is not None and (was.given_names, was.surname, was.date_of_birth) == (
            r.given_names, r.surname, r.date_of_birth)  # fmt: skip
        if ref not in fresh_refs and not same:
            changes.append({"holder_id": holder_id, **_holder_values(r)})
    uow.card_records.update_holders(scheme.id, changes)
    return ids


def _holder_values(r: CardRecord) -> dict[str, object]:
    return {
        "given_names": r.given_names,
        "surname": r.surname,
        "surname_key": r.surname_key,
        "date_of_birth": r.date_of_birth,
        "scheme_ref": r.holder_ref,
    }


def _card_values(
    scheme: Scheme, r: CardRecord, card_types: dict[str, int], holder_id: int
) -> dict[str, object]:
    return {
        "scheme_id": scheme.id,
        "card_type_id": card_types[r.card_type],
        "cardholder_id": holder_id,
        "number": r.number,
        "issued_on": r.issued_on,
        "expires_on": r.expires_on,
        "status": r.status.value,
        "status_reason": r.status_reason,
        "source_version": r.version,
    }


def _card_update(r: CardRecord, s: StoredCard, card_types: dict[str, int]) -> dict[str, object]:
    return {
        "card_id": s.id,
        "card_type_id": card_types[r.card_type],
        "issued_on": r.issued_on,
        "expires_on": r.expires_on,
        "status": r.status.value,
        "status_reason": r.status_reason,
        "version": r.version,
    }


def _draw_entries(uow: AbstractUnitOfWork, scheme: Scheme, card_ids: list[int]) -> bool:
    """Status list entries for the new cards, each uniformly at random among the unused ones
    (as every card's: domain/status_indexes.py), written in one statement; whether the list
    grew. Candidates are drawn over the whole list and those taken already (one query)
    dropped: what is left is uniform over the unused entries, without reading every entry of
    a scheme of hundreds of thousands of cards."""
    if not card_ids:
        return False
    entries, allocated = uow.status_lists.space(scheme.id) or (MIN_STATUS_ENTRIES, 0)
    size = entries_for(allocated + len(card_ids), entries)
    chosen: dict[int, None] = {}  # drawn order kept: a card's entry says nothing of its id
    while len(chosen) < len(card_ids):
        wanted = 2 * (len(card_ids) - len(chosen)) + 16
        words = memoryview(os.urandom(4 * wanted)).cast("I")
        candidates = [w & (size - 1) for w in words if (w & (size - 1)) not in chosen]
        taken = uow.status_lists.taken_among(scheme.id, candidates)
        for index in candidates:
            if index not in taken and len(chosen) < len(card_ids):
                chosen[index] = None
    rows = [(scheme.id, index, card_id) for index, card_id in zip(chosen, card_ids, strict=True)]
    uow.bulk_rows().append("status_entries", ENTRY_COLUMNS, rows)
    uow.status_lists.save_space(scheme.id, size, allocated + len(card_ids))
    return size != entries


def _serials_past(uow: AbstractUnitOfWork, scheme: Scheme, numbers: list[str]) -> None:
    """Move the scheme's next serial past the numbers the scheme gave, so that a card the hub
    issues later never takes one of them."""
    if not numbers:
        return
    highest = max(scheme.number_format.serial_of(n) for n in numbers)
    first = uow.schemes.next_serial(scheme.id, 0)  # locks the scheme's serial row
    if first <= highest:
        uow.schemes.next_serial(scheme.id, highest + 1 - first)


def _audit_change(
    uow: AbstractUnitOfWork, who: Principal, r: CardRecord, s: StoredCard, now: dt.datetime
) -> None:
    """A status change from the scheme, in the card's trail as the hub's own changes are
    (``card_history.card_changes`` reads "before" to judge an offline check as it stood)."""
    action = {CardStatus.ACTIVE: "reinstate", CardStatus.SUSPENDED: "suspend"}.get(
        r.status, "revoke" if r.status == CardStatus.REVOKED else "replace"
    )
    audit(uow, who, f"card.{action}", "card", r.number, reason=r.status_reason, now=now,
          detail={
              "before": {"status": s.status.value, "issued_on": s.issued_on.isoformat(),
                         "expires_on": s.expires_on.isoformat()},
              "after": {"status": r.status.value, "issued_on": r.issued_on.isoformat(),
                        "expires_on": r.expires_on.isoformat()},
              "version": r.version, "by": "connector",
          })  # fmt: skip
