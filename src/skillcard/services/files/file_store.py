"""The file storage port: every file skillcard keeps (photos, evidence, invigilation pictures,
bulk check uploads and results) goes through one :class:`FileStore`, by kind and key.

Two stores implement it (``adapters/file_stores.py``): a directory on this host (the default,
``SKILLCARD_FILE_STORE=local``) and a table in the database every host shares
(``SKILLCARD_FILE_STORE=database``), so several servers behind a load balancer see the same
files. A key is a relative name made by skillcard itself (``ab/<sha256>.jpg``,
``<job>.result.csv``), never a name from outside.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from skillcard.errors import InvalidInput

FileKind = Literal["photos", "evidence", "snapshots", "uploads", "results", "reports"]
KINDS: tuple[FileKind, ...] = (
    "photos",
    "evidence",
    "snapshots",
    "uploads",
    "results",
    "reports",  # photos sent with reports of suspect cards
)
_KEY = re.compile(r"^[0-9A-Za-z_-][0-9A-Za-z._-]{0,99}(/[0-9A-Za-z_-][0-9A-Za-z._-]{0,99})?$")


def require_key(kind: str, key: str) -> None:
    """InvalidInput unless ``kind`` is known and ``key`` a plain relative name (at most one
    folder, no dot-first parts): a key can never reach outside its kind."""
    if kind not in KINDS or not _KEY.match(key or "") or ".." in key:
        raise InvalidInput("not a stored file's name")


@dataclass(frozen=True)
class StoredFile:
    key: str
    written_at: dt.datetime  # aware, UTC


class FileStore(Protocol):
    """Files by (kind, key). A write is whole or not at all: a reader sees the old file or the
    new one, never part of one. Deleting a missing file is not an error."""

    def put(self, kind: FileKind, key: str, data: bytes) -> None: ...

    def put_stream(self, kind: FileKind, key: str, chunks: Iterable[bytes]) -> int:
        """Store the file made of ``chunks`` without holding it whole; its size."""
        ...

    def get(self, kind: FileKind, key: str) -> bytes | None: ...

    def stream(self, kind: FileKind, key: str) -> Iterator[bytes] | None:
        """The file in pieces (memory flat however large), or None if it is not there."""
        ...

    def exists(self, kind: FileKind, key: str) -> bool: ...

    def delete(self, kind: FileKind, key: str) -> None: ...

    def entries(self, kind: FileKind) -> Iterator[StoredFile]:
        """Every file of a kind with when it was last written, in key order."""
        ...

    def leftovers(self, kind: FileKind, *, before: dt.datetime, remove: bool = False) -> int:
        """How many pieces of writes cut short (a crash mid-write) older than ``before`` there
        are, deleting them with ``remove``. A store whose writes are transactions has none."""
        ...


def copy_files(source: FileStore, target: FileStore) -> dict[str, int]:
    """Every file of every kind in ``source`` written to ``target`` (what is there already is
    written again, so a copy cut short can be run again); how many of each kind."""
    copied: dict[str, int] = dict.fromkeys(KINDS, 0)
    for kind in KINDS:
        for entry in source.entries(kind):
            parts = source.stream(kind, entry.key)
            if parts is not None:  # deleted since it was listed
                target.put_stream(kind, entry.key, parts)
                copied[kind] += 1
    return copied
