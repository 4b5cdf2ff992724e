"""Ports of the file stores: photos, evidence, and the HSE test's snapshots and ID photos.

Files are content-named (their SHA-256): a file is written before the row that points at it,
so a rolled-back row leaves at most an unreferenced file, never a wrong one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Protocol


class PhotoFiles(Protocol):
    def put(self, data: bytes) -> str:
        """Check and store an upload; its SHA-256. Nothing is written unless it is accepted."""
        ...

    def has(self, sha256: str) -> bool: ...
    def get(self, sha256: str) -> bytes | None: ...
    def thumbnail(self, sha256: str) -> bytes | None: ...
    def keep(self, digest: str, jpeg: bytes) -> None: ...
    def remove(self, sha256: str) -> None: ...
    def stored(self, *, before: dt.datetime | None = None) -> Iterator[str]: ...
    def leftovers(self, *, before: dt.datetime, remove: bool = False) -> int:
        """How many temporary files of cut-short writes there are (deleted if ``remove``)."""
        ...


class EvidenceFiles(Protocol):
    def put(self, data: bytes, filename: str = ...) -> tuple[str, str]:
        """Check and store an upload; its (SHA-256, media type)."""
        ...

    def get(self, sha256: str, media_type: str) -> bytes | None: ...


class InvigilationFiles(Protocol):
    def check(
        self, data: bytes, limit: int, what: str, *, webcam: bool = False
    ) -> tuple[str, bytes]:
        """The SHA-256 and normalised JPEG of an upload, or refused; nothing written. A
        ``webcam`` frame keeps its landscape shape (an ID photo is fitted to a portrait)."""
        ...

    def keep(self, digest: str, jpeg: bytes) -> None: ...
    def get(self, sha256: str) -> bytes | None: ...
