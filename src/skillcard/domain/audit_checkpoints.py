"""Checkpoints: the hub's signed word on how far the audit chain reached, and its last link.

The chain alone shows a change only to someone who cannot recompute it: whoever can write to
the database can rewrite a row and every hash after it, and the chain holds again. A
checkpoint, signed with the hub's key and kept outside the database, pins the hash the chain
had at one sequence number; a rewrite of any row up to it, or a cut below it, no longer
matches. It proves nothing about events after the last checkpoint held outside.

A checkpoint's statement is a signed JSON document (:mod:`skillcard.adapters.signed_json`)::

    {"type": "skillcard-audit-checkpoint", "version": 1, "seq": 1234,
     "hash": "<the hash of event 1234>", "time": "<ISO time>", "kid": "<hub key id>",
     "signature": ...}
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from skillcard.domain.audit import BrokenLink
from skillcard.domain.stored import UNSAVED

CHECKPOINT_TYPE = "skillcard-audit-checkpoint"
CHECKPOINTS_TYPE = "skillcard-audit-checkpoints"  # a published page, or an export
_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(eq=False)
class Checkpoint:
    """One checkpoint as the hub stores it; ``document`` is the signed statement's JSON."""

    seq: int
    hash: str
    made_at: dt.datetime
    kid: str
    document: str
    id: int = UNSAVED


def statement(*, seq: int, hash: str, time: dt.datetime, kid: str) -> dict[str, object]:
    """The statement to sign (the signature is added by the signer)."""
    moment = time if time.tzinfo else time.replace(tzinfo=dt.UTC)
    return {
        "type": CHECKPOINT_TYPE,
        "version": 1,
        "seq": seq,
        "hash": hash,
        "time": moment.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "kid": kid,
    }


@dataclass(frozen=True)
class Anchor:
    """A checkpoint whose signature held: the chain must have ``hash`` at ``seq``."""

    seq: int
    hash: str
    time: str
    source: str  # "file" or "database": where the checkpoint was read


def anchor_of(document: object, source: str) -> Anchor:
    """The anchor a statement names; ValueError saying what is wrong with it (the signature
    is checked elsewhere)."""
    if type(document) is not dict or document.get("type") != CHECKPOINT_TYPE:
        raise ValueError("it is not a skillcard audit checkpoint")
    if document.get("version") != 1:
        raise ValueError("its version is not 1")
    seq, hash_, time = document.get("seq"), document.get("hash"), document.get("time")
    if type(seq) is not int or not 1 <= seq < 2**62:
        raise ValueError("its sequence number is not a positive whole number")
    if type(hash_) is not str or not _HASH.match(hash_):
        raise ValueError("its hash is not 64 hexadecimal digits")
    if type(document.get("kid")) is not str or len(document["kid"]) > 64:
        raise ValueError("it does not name the key that signed it")
    if type(time) is not str or len(time) > 40:
        raise ValueError("its time is not a time")
    try:
        dt.datetime.fromisoformat(time)
    except ValueError:
        raise ValueError("its time is not a time") from None
    return Anchor(seq, hash_, time, source)


def first_unanchored(
    anchors: Iterable[Anchor], hashes: Mapping[int, str], length: int
) -> BrokenLink | None:
    """The first checkpoint the chain no longer matches, or None.

    ``hashes`` holds the chain's hash at (at least) every anchored sequence number, and
    ``length`` is the last sequence number the chain holds. A rewrite that recomputed every
    later hash shows at the first checkpoint after the rewritten row; a cut shows at the first
    checkpoint past the chain's end.
    """
    before = 0
    for anchor in sorted(anchors, key=lambda a: a.seq):
        if anchor.seq > length:
            return BrokenLink(
                length + 1,
                f"events {length + 1} to {anchor.seq} were removed: the chain ends at event "
                f"{length}, but the hub signed its head at event {anchor.seq} on {anchor.time} "
                f"(checkpoint from the {anchor.source})",
            )
        if hashes.get(anchor.seq) != anchor.hash:
            return BrokenLink(
                anchor.seq,
                f"the chain was rewritten: event {anchor.seq} does not have the hash the hub "
                f"signed on {anchor.time} (checkpoint from the {anchor.source}), so an event "
                f"from {before + 1} to {anchor.seq} was changed and the hashes after it "
                "recomputed",
            )
        before = anchor.seq
    return None
