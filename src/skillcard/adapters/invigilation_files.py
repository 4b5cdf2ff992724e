"""Identity photos and webcam snapshots of HSE attempts, stored like cardholders' photos.

The same checks as :mod:`skillcard.adapters.photos` (a real JPEG or PNG by its content, size
and pixel caps, re-encoded, named by SHA-256), but kept apart as their own kind
(``snapshots``; the ``hse`` folder of a local store) so that the photo route never serves
them: only the invigilation pages do, after their own check.
Checking (:meth:`InvigilationFileStore.check`) and writing (:meth:`~.keep`) are separate, so a
service writes a file only once the change it belongs to is allowed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from skillcard.adapters.photos import STORED_BOX, PhotoRefused, PhotoStore, normalise_photo
from skillcard.services.files.file_store import FileKind, FileStore

MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024  # a webcam frame as JPEG is far smaller
MAX_ID_PHOTO_BYTES = 5 * 1024 * 1024
# A webcam frame is kept at its own size up to VGA. Fitting a 640 x 480 frame into the
# portrait box of ID photos (600 x 750) resampled it for nothing an invigilator needs, and the
# resampling cost more than decoding and encoding together: 11 of 15 ms of CPU per snapshot,
# at 500 candidates a snapshot every 30 s a fifth of a core (bench/README.md, issue 15).
WEBCAM_BOX = (640, 640)


class InvigilationFileStore(PhotoStore):
    """``normalise`` re-encodes an upload: ``normalise_photo`` itself, or a server's way of
    running it elsewhere (``image_helper.normalise_at_low_priority``)."""

    kind: FileKind = "snapshots"

    def __init__(
        self,
        files: FileStore | Path | str,
        normalise: Callable[[bytes, tuple[int, int]], bytes] = normalise_photo,
    ) -> None:
        super().__init__(files)
        self.normalise = normalise

    def check(
        self, data: bytes, limit: int, what: str, *, webcam: bool = False
    ) -> tuple[str, bytes]:
        """The SHA-256 and normalised JPEG of an upload, or PhotoRefused; nothing written."""
        if len(data) > limit:
            raise PhotoRefused(f"the {what} is larger than {limit // 1024 // 1024} MB")
        if not data:
            raise PhotoRefused(f"the {what} is empty: take the picture again")
        try:
            jpeg = self.normalise(data, WEBCAM_BOX if webcam else STORED_BOX)
        except PhotoRefused as refused:
            raise PhotoRefused(f"the {what} was not accepted: {refused.message}") from None
        return hashlib.sha256(jpeg).hexdigest(), jpeg

    def keep(self, digest: str, jpeg: bytes) -> None:
        if not self.has(digest):
            self.files.put(self.kind, self.key(digest), jpeg)
