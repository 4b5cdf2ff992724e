"""Status lists: one per scheme, signed with the scheme's current key, changed in the same
transaction as the card whose entry changes.

A card's entry is its serial (:func:`skillcard.domain.card_numbers.status_index`). A list has
two bit-planes of the same length (see :class:`skillcard.domain.trust.StatusList`): ``bits``,
1 for a revoked, replaced or suspended card, and ``suspended``, 1 where it is only suspended.

The published form is a signed JSON document (:mod:`skillcard.adapters.signed_json`)::

    {"scheme": "ECS", "issued": "2026-11-27T09:00:00+00:00", "ttl": 86400,
     "entries": 131072, "bits": base64(gzip(bits)), "suspended": base64(gzip(suspended)),
     "kid": "<the scheme key's id>", "signature": "<ES256 over the canonical JSON of the rest>"}

It is stored as published, beside the raw planes, so a download costs no signing. A stored list
more than half its ttl old (or signed by a key since rotated) is re-signed when it is asked
for, so a verifier that downloads it never starts with a nearly stale list.
"""

from __future__ import annotations

import datetime as dt
import json

from skillcard.adapters.db.key_repositories import StoredStatusList
from skillcard.adapters.signed_json import gzip_b64, sign_document
from skillcard.domain.card_numbers import status_index, status_list_entries
from skillcard.domain.cards import Card, CardStatus
from skillcard.domain.trust import DEFAULT_STATUS_TTL, listed_state, set_entry
from skillcard.services.signing import current_signer
from skillcard.services.unit_of_work import AbstractUnitOfWork

MAX_ENTRIES = 2**24  # 2 MiB a plane: far beyond any scheme's 8-digit numbers


def rebuild_status_list(
    uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime, ttl: int = DEFAULT_STATUS_TTL
) -> StoredStatusList:
    """Build the scheme's list afresh from the cards table and sign it (caller commits)."""
    scheme = uow.schemes.get(scheme_id)
    highest = uow.status_lists.highest_number(scheme_id)
    serial = status_index(highest, scheme.number_prefix) if highest else 0
    size = status_list_entries(serial) // 8
    bits, plane = bytearray(size), bytearray(size)
    for number, status in uow.status_lists.listed_cards(scheme_id):
        _set(bits, plane, status_index(number, scheme.number_prefix), CardStatus(status))
    return _store(uow, scheme, bytes(bits), bytes(plane), now, ttl)


def card_changed(
    uow: AbstractUnitOfWork, card: Card, successor: Card | None, now: dt.datetime
) -> None:
    """Flip the entries of a card whose status changed (and of its successor, if replaced)
    and re-sign the list, in the caller's transaction."""
    stored = uow.status_lists.get(card.scheme_id, lock=True)
    scheme = uow.schemes.get(card.scheme_id)
    changed = [card, *([successor] if successor is not None else [])]
    indices = [status_index(c.number, scheme.number_prefix) for c in changed]
    if stored is None or max(indices) >= len(stored.bits) * 8:
        rebuild_status_list(uow, card.scheme_id, now)  # none yet, or it must grow
        return
    bits, plane = bytearray(stored.bits), bytearray(stored.suspended)
    for one, index in zip(changed, indices, strict=True):
        _set(bits, plane, index, CardStatus(one.status))
    _store(uow, scheme, bytes(bits), bytes(plane), now, stored.ttl)


def published_status_list(uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime) -> dict:
    """The scheme's signed list as published, built or re-signed first when it must be (the
    caller commits)."""
    stored = uow.status_lists.get(scheme_id)
    if stored is None:
        stored = rebuild_status_list(uow, scheme_id, now)
    elif _needs_signing(uow, stored, now):
        scheme = uow.schemes.get(scheme_id)
        stored = _store(uow, scheme, stored.bits, stored.suspended, now, stored.ttl)
    return json.loads(stored.document)


def _needs_signing(uow, stored: StoredStatusList, now: dt.datetime) -> bool:
    half_life = dt.timedelta(seconds=stored.ttl / 2)
    current = uow.signing_keys.current(stored.scheme_id)
    return now - stored.issued > half_life or current is None or current.kid != stored.kid


def _set(bits: bytearray, plane: bytearray, index: int, status: CardStatus) -> None:
    set_entry(bits, plane, index, listed_state(status))


def _store(uow, scheme, bits: bytes, plane: bytes, now: dt.datetime, ttl: int):
    kid, private = current_signer(uow, scheme.id, now=now)
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
    signed = sign_document(document, private)
    stored = StoredStatusList(
        scheme.id, issued, ttl, bits, plane, kid, json.dumps(signed, sort_keys=True)
    )
    uow.status_lists.put(stored)
    return stored
