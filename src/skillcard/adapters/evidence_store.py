"""Evidence files (CPD certificates, qualification certificates): checked by content, stored by
SHA-256 in the file store (kind ``evidence``), like the photo store.

The file's name and the browser's content type are trusted for nothing: the first bytes must be
those of a PDF, JPEG, PNG or HEIC image. An executable renamed ``.pdf`` is refused. Files are
kept exactly as given (a certificate must stay the certificate), and are only ever served with
the content type found here, as a download-safe response, after an authorisation check.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from skillcard.adapters.file_stores import FOLDERS, LocalFileStore
from skillcard.adapters.photos import is_sha256
from skillcard.errors import InvalidInput
from skillcard.services.files.file_store import FileKind, FileStore

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
SUFFIX = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",
}


class EvidenceRefused(InvalidInput):
    code = "evidence_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="evidence")  # always the evidence files' field


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, among those accepted; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        return "image/heic"
    return None


def check_evidence(data: bytes, filename: str = "") -> str:
    """The accepted media type of ``data``, or EvidenceRefused saying why not."""
    name = (filename or "the file").strip()[:100]
    if not data:
        raise EvidenceRefused(f"{name} is empty: choose a PDF, JPEG, PNG or HEIC file")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceRefused(
            f"{name} is larger than {MAX_EVIDENCE_BYTES // 1024 // 1024} MB: "
            "send a smaller scan or photo"
        )
    media_type = sniff(data)
    if media_type is None:
        raise EvidenceRefused(
            f"{name} is not a PDF, JPEG, PNG or HEIC file (whatever its name says): "
            "choose a scan or photo of the certificate"
        )
    return media_type


def safe_filename(filename: str) -> str:
    """A display name: no folders, no control characters, at most 200 characters."""
    base = os.path.basename((filename or "").replace("\\", "/"))
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return cleaned.strip()[:200] or "evidence"


class EvidenceStore:
    """Evidence in a file store (kind ``evidence``) as ``ab/<sha256><suffix>``, never written
    twice. Given a directory, the local store under it."""

    kind: FileKind = "evidence"

    def __init__(self, files: FileStore | Path | str) -> None:
        self.files: FileStore = LocalFileStore(files) if isinstance(files, (str, Path)) else files

    @property
    def root(self) -> Path:
        """The folder of this kind, for a local store (tests and tools look inside)."""
        return self.files.root / FOLDERS[self.kind]  # type: ignore[attr-defined]

    @staticmethod
    def key(sha256: str, media_type: str) -> str:
        if not is_sha256(sha256) or media_type not in SUFFIX:
            raise InvalidInput("not an evidence reference")
        return f"{sha256[:2]}/{sha256}{SUFFIX[media_type]}"

    def path(self, sha256: str, media_type: str) -> Path:
        """Where a local store keeps the file (tests and tools only)."""
        return self.files.path(self.kind, self.key(sha256, media_type))  # type: ignore[attr-defined]

    def put(self, data: bytes, filename: str = "") -> tuple[str, str]:
        """Check and keep ``data``; (sha256, media type). Nothing is written if refused."""
        media_type = check_evidence(data, filename)
        digest = hashlib.sha256(data).hexdigest()
        key = self.key(digest, media_type)
        if not self.files.exists(self.kind, key):
            self.files.put(self.kind, key, data)
        return digest, media_type

    def get(self, sha256: str, media_type: str) -> bytes | None:
        try:
            return self.files.get(self.kind, self.key(sha256, media_type))
        except InvalidInput:
            return None
