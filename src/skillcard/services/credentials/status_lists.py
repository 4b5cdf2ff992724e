"""Status lists: one per scheme, signed with the scheme's current key (the hub's, for a scheme
that holds its own keys), changed in the same transaction as the card whose entry changes.

A card's entry is drawn at random among the list's unused ones when the card is issued, and
again when it is renewed (:mod:`skillcard.domain.status_indexes`); its old entry stays listed
until the old credential's expiry. Cards printed before migration 0018 carry their serial as
their entry: that entry stays theirs, listed until the card's expiry then. A list has
two bit-planes of the same length (see :class:`skillcard.domain.trust.StatusList`): ``bits``,
1 for a revoked, replaced or suspended card, and ``suspended``, 1 where it is only suspended.

The published form is a signed JSON document (:mod:`skillcard.adapters.signed_json`)::

    {"scheme": "ECS", "issued": "2026-11-27T09:00:00+00:00", "ttl": 86400,
     "entries": 131072, "bits": base64(gzip(bits)), "suspended": base64(gzip(suspended)),
     "kid": "<the scheme key's id, or the hub's>",
     "signature": "<ES256 over the canonical JSON of the rest>"}

It is stored as published, beside the raw planes, so a download costs no signing. A stored list
more than half its ttl old (or signed by a key since rotated) is re-signed when it is asked
for, so a verifier that downloads it never starts with a nearly stale list.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from typing import Any

from skillcard.adapters.signed_json import gzip_b64
from skillcard.domain.calendar import card_day
from skillcard.domain.cards import Card, CardStatus
from skillcard.domain.schemes import Scheme
from skillcard.domain.status_indexes import MAX_STATUS_ENTRIES, IndexSpace, entries_for
from skillcard.domain.trust import DEFAULT_STATUS_TTL, MIN_STATUS_ENTRIES, listed_state, set_entry
from skillcard.errors import Conflict
from skillcard.services.credentials.signing import status_list_signer
from skillcard.services.crypto import documents
from skillcard.services.ports.keys import StoredStatusList
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

MAX_ENTRIES = MAX_STATUS_ENTRIES
_DRAWS = 64  # a list is at most half full: 64 taken draws in a row happen 1 time in 2**64


def allocate_entry(uow: AbstractUnitOfWork, card: Card, now: dt.datetime) -> int:
    """Give ``card`` (just added) its current entry, drawn at random among the unused ones;
    the list doubles first if it would be more than half full (caller commits)."""
    space = uow.status_lists.space(card.scheme_id, lock=True)  # one drawer per scheme at a time
    entries, allocated = space or (MIN_STATUS_ENTRIES, 0)
    grown = entries_for(allocated + 1, entries)
    for _ in range(_DRAWS):
        index = _random_below(grown)
        if uow.status_lists.is_taken(card.scheme_id, index):
            continue
        if uow.status_lists.add_entry(card, index):
            break
    else:
        raise Conflict("no free entry was found in the status list: try again")
    uow.status_lists.save_space(card.scheme_id, grown, allocated + 1)
    if grown != entries and uow.status_lists.get(card.scheme_id) is not None:
        rebuild_status_list(uow, card.scheme_id, now)  # the published list must cover it
    return index


def entries_for_many(uow: AbstractUnitOfWork, scheme_id: int, expected: int) -> IndexSpace:
    """A scheme's entries for a bulk load (seed): the space row locked as ``allocate_entry``
    locks it, and sized up front for ``expected`` cards, so that theirs are drawn over the whole
    of the list. The caller draws from it and saves the space with the rows."""
    entries, _allocated = uow.status_lists.space(scheme_id, lock=True) or (MIN_STATUS_ENTRIES, 0)
    space = IndexSpace(entries, uow.status_lists.taken(scheme_id), os.urandom)
    space.reserve(expected)
    return space


def reissue_entry(
    uow: AbstractUnitOfWork, card: Card, old_expiry: dt.date, now: dt.datetime
) -> int:
    """A renewed card's new entry; the old one stays listed until the old credential, which
    carries it, expires."""
    uow.status_lists.retire_entry(card.id, old_expiry)
    return allocate_entry(uow, card, now)


def card_entry(uow: AbstractUnitOfWork, card: Card, now: dt.datetime) -> int:
    """The entry a credential of ``card`` carries (one is drawn if it has none yet)."""
    index = uow.status_lists.current_entry(card.id)
    return allocate_entry(uow, card, now) if index is None else index


def rebuild_status_list(
    uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime, ttl: int = DEFAULT_STATUS_TTL
) -> StoredStatusList:
    """Build the scheme's list afresh from the cards and their entries, and sign it (caller
    commits)."""
    scheme = on_record(uow.schemes.get(scheme_id), f"scheme {scheme_id}")
    size = (uow.status_lists.space(scheme_id) or (MIN_STATUS_ENTRIES, 0))[0] // 8
    bits, plane = bytearray(size), bytearray(size)
    for index, status in uow.status_lists.listed_entries(scheme_id, card_day(now)):
        _set(bits, plane, index, CardStatus(status))
    return _store(uow, scheme, bytes(bits), bytes(plane), now, ttl)


def card_changed(
    uow: AbstractUnitOfWork, card: Card, successor: Card | None, now: dt.datetime
) -> None:
    """Flip the entries of a card whose status changed (and of its successor, if replaced)
    and re-sign the list, in the caller's transaction."""
    stored = uow.status_lists.get(card.scheme_id, lock=True)
    scheme = uow.schemes.get(card.scheme_id)
    changed = [c for c in (card, successor) if c is not None]
    entries = uow.status_lists.entries_of(changed, card_day(now))
    size = (uow.status_lists.space(card.scheme_id) or (MIN_STATUS_ENTRIES, 0))[0]
    if stored is None or len(stored.bits) * 8 < size:
        rebuild_status_list(uow, card.scheme_id, now)  # none yet, or it must grow
        return
    bits, plane = bytearray(stored.bits), bytearray(stored.suspended)
    status = {c.id: c.status for c in changed}
    for card_id, index in entries:
        _set(bits, plane, index, CardStatus(status[card_id]))
    _store(uow, on_record(scheme, "the card's scheme"), bytes(bits), bytes(plane), now, stored.ttl)


def rebuild_status_lists(
    *, uow: AbstractUnitOfWork, scheme_ids: list[int] | None = None, now: dt.datetime
) -> int:
    """Rebuild and re-sign the stored lists of ``scheme_ids`` (None: every scheme that has
    one), after cards changed in bulk; how many (opens and commits its own transaction)."""
    with uow:
        wanted = [s.id for s in uow.schemes.list()] if scheme_ids is None else scheme_ids
        built = [i for i in wanted if uow.status_lists.get(i, lock=True) is not None]
        for scheme_id in built:
            rebuild_status_list(uow, scheme_id, now)
        uow.commit()
    return len(built)


def _random_below(entries: int) -> int:
    return secrets.randbelow(entries)


def published_status_list(
    uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime
) -> dict[str, Any]:
    """The scheme's signed list as published, built or re-signed first when it must be (the
    caller commits). A re-signing rebuilds it, so that entries past their ``until`` (old
    credentials expired) stop being listed within half a ttl."""
    stored = uow.status_lists.get(scheme_id)
    if stored is None:
        stored = rebuild_status_list(uow, scheme_id, now)
    elif _needs_signing(uow, stored, now):
        uow.status_lists.get(scheme_id, lock=True)  # a card changing meanwhile waits for this
        stored = rebuild_status_list(uow, scheme_id, now, stored.ttl)
    document: dict[str, Any] = json.loads(stored.document)
    return document


def _needs_signing(uow: AbstractUnitOfWork, stored: StoredStatusList, now: dt.datetime) -> bool:
    half_life = dt.timedelta(seconds=stored.ttl / 2)
    current = uow.signing_keys.current(stored.scheme_id)
    if current is None and uow.signing_keys.holds_own_keys(stored.scheme_id):
        current = uow.signing_keys.current(None)  # the hub signs this scheme's list
    return now - stored.issued > half_life or current is None or current.kid != stored.kid


def _set(bits: bytearray, plane: bytearray, index: int, status: CardStatus) -> None:
    set_entry(bits, plane, index, listed_state(status))


def _store(
    uow: AbstractUnitOfWork, scheme: Scheme, bits: bytes, plane: bytes, now: dt.datetime, ttl: int
) -> StoredStatusList:
    kid, private = status_list_signer(uow, scheme.id, now)
    issued = now.astimezone(dt.UTC).replace(microsecond=0)
    document = {
        "scheme": scheme.code,
        "issued": issued.isoformat(),
        "ttl": ttl,
        "entries": len(bits) * 8,
        "bits": gzip_b64(bits),
        "suspended": gzip_b64(plane),
        "kid": kid,
    }
    signed = documents.sign_document(document, private)
    stored = StoredStatusList(
        scheme.id, issued, ttl, bits, plane, kid, json.dumps(signed, sort_keys=True)
    )
    uow.status_lists.put(stored)
    return stored
