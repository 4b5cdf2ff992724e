"""Anchoring the audit chain outside the database: the hub's signed checkpoints.

- :func:`make_checkpoint`: sign the chain's head (sequence, hash, time) with the hub's key and
  keep it; on demand (``skillcard audit checkpoint``) and by ``serve``'s scheduler.
- :func:`published_checkpoints` / :func:`export_checkpoints`: the signed statements, for
  anyone to keep elsewhere (``GET /api/v1/audit/checkpoints``, ``audit checkpoints export``).
- :func:`check_audit_log`: every link of the chain, the stored head, and every checkpoint
  (those given, read from a copy kept elsewhere, and those the database holds).

Whose key vouches for a checkpoint: the hub keys given as pinned (``--hub-key``), else the
hub's keys the database holds, current and retired. Someone with write access to the database
could swap those and the checkpoints stored beside them; only copies and a pinned key kept
elsewhere stand against that.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from skillcard.domain.accounts import Principal, require
from skillcard.domain.audit import GENESIS, AuditEvent, BrokenLink, first_broken_link
from skillcard.domain.audit_checkpoints import (
    CHECKPOINTS_TYPE,
    Anchor,
    Checkpoint,
    anchor_of,
    first_unanchored,
    statement,
)
from skillcard.errors import InvalidInput
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials.signing import current_signer
from skillcard.services.crypto import documents, keys
from skillcard.services.unit_of_work import AbstractUnitOfWork

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PAGE = 1000


def make_checkpoint(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    only_if_moved: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Checkpoint | None, bool]:
    """The checkpoint of the chain's head and whether it was made now: the head's existing
    checkpoint when the chain has not moved since (None with ``only_if_moved``), None for an
    empty chain."""
    require(who.is_hub_admin, "sign a checkpoint of the audit log")
    now = now or utcnow()
    with uow:
        # The signer first: making the hub's first key is itself an audited change.
        kid, private = current_signer(uow, None, now=now)
        seq, head_hash = uow.audit.head()
        last = uow.audit.last_checkpoint()
        if seq == 0 or (last is not None and last.seq == seq):
            uow.commit()
            return (None if only_if_moved else last), False
        signed = documents.sign_document(
            statement(seq=seq, hash=head_hash, time=now, kid=kid), private
        )
        text = json.dumps(signed, sort_keys=True, separators=(",", ":"))
        checkpoint = Checkpoint(seq=seq, hash=head_hash, made_at=now, kid=kid, document=text)
        # Not itself audited: the event would move the head, and every checkpoint would leave
        # the next one something to sign. The checkpoint is its own record.
        uow.audit.add_checkpoint(checkpoint)
        uow.commit()
        return checkpoint, True


def published_checkpoints(
    *, uow: AbstractUnitOfWork, after: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], int | None]:
    """The signed statements past sequence number ``after``, oldest first, and the ``after``
    of the next page (None on the last)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit is between 1 and {MAX_PAGE}")
    if after < 0:
        raise InvalidInput("after is a sequence number, 0 or more")
    with uow:
        found = uow.audit.checkpoints(after=after, limit=limit + 1)
    page = found[:limit]
    return [json.loads(c.document) for c in page], (page[-1].seq if len(found) > limit else None)


def export_checkpoints(*, uow: AbstractUnitOfWork) -> dict[str, Any]:
    """Every checkpoint, in the shape the API publishes and ``audit verify`` reads."""
    with uow:
        stored = uow.audit.checkpoints()
    return {
        "type": CHECKPOINTS_TYPE,
        "version": 1,
        "checkpoints": [json.loads(c.document) for c in stored],
    }


def read_checkpoints(data: bytes) -> list[Any]:
    """The statements in an export or a saved API page (bad input if it is neither)."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"the checkpoints file is larger than {MAX_FILE_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the checkpoints file is not JSON") from None
    if type(document) is not dict or document.get("type") != CHECKPOINTS_TYPE:
        raise InvalidInput("the file is not skillcard audit checkpoints")
    statements = document.get("checkpoints")
    if type(statements) is not list:
        raise InvalidInput("the file's checkpoints are not a list")
    return statements


@dataclass
class AuditCheck:
    """What :func:`check_audit_log` found. ``refused`` names checkpoints that were not used
    (damaged, or not signed by a hub key): a check with any is not a pass."""

    events: int
    broken: BrokenLink | None
    anchored: int = 0
    key_source: str = "database"
    refused: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.refused


def check_audit_log(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    checkpoints: list[Any] | None = None,
    hub_keys: list[bytes] | None = None,
) -> AuditCheck:
    """Every link of the chain, the stored head, and every checkpoint (``checkpoints`` from a
    file, and the database's own). The first break by sequence number is the one named."""
    require(who.is_hub_admin, "verify the audit log")
    with uow:
        verifiers = _hub_keys(uow, hub_keys)
        check = AuditCheck(0, None, key_source="pinned" if hub_keys else "database")
        anchors = _anchors(checkpoints or [], "file", verifiers, check.refused)
        stored = [json.loads(c.document) for c in uow.audit.checkpoints()]
        anchors += _anchors(stored, "database", verifiers, check.refused)
        last = (0, GENESIS)

        def counted() -> Iterator[AuditEvent]:
            nonlocal last
            for event in uow.audit.in_order():
                check.events += 1
                last = (event.seq, event.hash)
                yield event

        breaks = [first_broken_link(counted())]
        head = uow.audit.head()
        if breaks[0] is None and head != last:
            cut = f"events {last[0] + 1} to {head[0]} were removed"
            breaks.append(BrokenLink(last[0] + 1, cut))
        hashes = uow.audit.hashes_at(sorted({a.seq for a in anchors}))
        breaks.append(first_unanchored(anchors, hashes, last[0]))
        found = [b for b in breaks if b is not None]
        check.broken = min(found, key=lambda b: b.seq) if found else None
        check.anchored = len(anchors)
        return check


def _hub_keys(uow: AbstractUnitOfWork, pinned: list[bytes] | None) -> dict[str, Any]:
    """kid -> public key of every key that may vouch for a checkpoint."""
    if pinned:
        try:
            opened = [keys.load_public_key(sec1) for sec1 in pinned]
        except InvalidInput as error:  # not a key on the curve
            raise InvalidInput(f"a pinned hub key is refused: {error.message}") from None
        return {keys.key_id(key): key for key in opened}
    stored = [k for k in uow.signing_keys.all() if k.scheme_id is None]
    return {k.kid: keys.load_public_key(k.public_key) for k in stored}


def _anchors(
    statements: list[Any], source: str, verifiers: dict[str, Any], refused: list[str]
) -> list[Anchor]:
    anchors = []
    for number, document in enumerate(statements, start=1):
        where = f"checkpoint {number} in the {source}"
        try:
            anchor = anchor_of(document, source)
        except ValueError as error:
            refused.append(f"{where} was refused: {error}")
            continue
        key = verifiers.get(document.get("kid"))
        if key is None or not documents.signature_ok(document, key):
            refused.append(f"{where} (event {anchor.seq}) is not signed by the hub's key")
            continue
        anchors.append(anchor)
    return anchors
