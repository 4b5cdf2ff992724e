"""Cardholders' photos: checked, normalised and stored by content (SHA-256) under files_dir.

An upload is trusted for nothing: Pillow must recognise it as a JPEG or PNG from its bytes
(never from its name), its size and pixel count are capped before any pixel is decoded
(decompression bombs), and what is kept is a fresh JPEG re-encoded from the pixels (so no
metadata, scripts or trailing bytes survive). The file's name is the SHA-256 of that JPEG.

The phone presentation carries a portrait thumbnail of at most 1 KB: a small grayscale JPEG,
made from the stored photo with the quality lowered until it fits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from skillcard.adapters.file_stores import FOLDERS, LocalFileStore
from skillcard.errors import InvalidInput
from skillcard.services.files.file_store import FileKind, FileStore

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_PIXELS = 30_000_000  # a 30-megapixel camera; anything larger is refused unread
MIN_SIDE = 64
STORED_BOX = (600, 750)  # the normalised photo fits in this, portrait 4:5
THUMB_SIZE = (48, 60)
THUMB_MAX_BYTES = 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ACCEPTED = ("JPEG", "PNG")


class PhotoRefused(InvalidInput):
    code = "photo_refused"


def is_sha256(text: str) -> bool:
    return bool(_SHA256.match(text or ""))


def normalise_photo(data: bytes, box: tuple[int, int] = STORED_BOX) -> bytes:
    """The photo in ``data`` re-encoded as a plain JPEG no larger than ``box``; PhotoRefused
    for anything else."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise PhotoRefused("the file is empty: choose a JPEG or PNG photo")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRefused(f"the photo is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_ACCEPTED) as picture:
                width, height = picture.size
                if width * height > MAX_UPLOAD_PIXELS:
                    raise PhotoRefused(
                        f"the photo has too many pixels ({width} x {height}); "
                        f"at most {MAX_UPLOAD_PIXELS // 1_000_000} megapixels"
                    )
                if min(width, height) < MIN_SIDE:
                    raise PhotoRefused(f"the photo is too small: at least {MIN_SIDE} pixels a side")
                picture.load()
                upright = ImageOps.exif_transpose(picture)
                rgb = upright.convert("RGB")
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(
            f"the photo has too many pixels; at most {MAX_UPLOAD_PIXELS // 1_000_000} megapixels"
        ) from None
    except UnidentifiedImageError:
        raise PhotoRefused("the file is not a JPEG or PNG photo skillcard can read") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise PhotoRefused("the photo is damaged or cut short: choose another file") from None
    rgb.thumbnail(box, Image.Resampling.LANCZOS)  # only ever shrinks
    rgb.info.clear()  # Pillow would copy a comment, ICC profile or EXIF into the new file
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=85, optimize=True, progressive=False)
    return out.getvalue()


def make_thumbnail(jpeg: bytes, *, limit: int = THUMB_MAX_BYTES) -> bytes:
    """A grayscale JPEG of the face, 48 x 60 or smaller, of at most ``limit`` bytes."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(jpeg), formats=("JPEG",)) as picture:
        gray = ImageOps.exif_transpose(picture).convert("L")
    size = THUMB_SIZE
    while size[0] >= 16:
        small = ImageOps.fit(gray, size, Image.Resampling.LANCZOS)
        for quality in range(70, 4, -5):
            out = io.BytesIO()
            small.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= limit:
                return out.getvalue()
        size = (size[0] * 3 // 4, size[1] * 3 // 4)
    raise PhotoRefused("the photo cannot be made into a small enough thumbnail")


class PhotoStore:
    """Photos in a file store (kind ``photos``) as ``ab/<sha256>.jpg``, with their thumbnails
    beside them. Given a directory, the local store under it (what tests and tools pass)."""

    kind: FileKind = "photos"

    def __init__(self, files: FileStore | Path | str) -> None:
        self.files: FileStore = LocalFileStore(files) if isinstance(files, (str, Path)) else files

    @property
    def root(self) -> Path:
        """The folder of this kind, for a local store (tests and tools look inside)."""
        return self.files.root / FOLDERS[self.kind]  # type: ignore[attr-defined]

    @staticmethod
    def key(sha256: str, suffix: str = ".jpg") -> str:
        if not is_sha256(sha256):
            raise InvalidInput("not a photo reference")
        return f"{sha256[:2]}/{sha256}{suffix}"

    def path(self, sha256: str, suffix: str = ".jpg") -> Path:
        """Where a local store keeps the photo (tests and tools only)."""
        return self.files.path(self.kind, self.key(sha256, suffix))  # type: ignore[attr-defined]

    def has(self, sha256: str) -> bool:
        return self.files.exists(self.kind, self.key(sha256))

    def put(self, data: bytes) -> str:
        """Check and store an upload; its SHA-256 (of the normalised JPEG). Nothing is written
        unless the photo is accepted."""
        jpeg = normalise_photo(data)
        digest = hashlib.sha256(jpeg).hexdigest()
        if not self.has(digest):
            self.files.put(self.kind, self.key(digest), jpeg)
        return digest

    def get(self, sha256: str) -> bytes | None:
        if not is_sha256(sha256):
            return None
        return self.files.get(self.kind, self.key(sha256))

    def thumbnail(self, sha256: str) -> bytes | None:
        """The ≤ 1 KB portrait thumbnail of a stored photo, made once and kept beside it."""
        if not is_sha256(sha256):
            return None
        cached = self.files.get(self.kind, self.key(sha256, ".thumb.jpg"))
        if cached is not None:
            return cached
        photo = self.get(sha256)
        if photo is None:
            return None
        thumb = make_thumbnail(photo)
        self.files.put(self.kind, self.key(sha256, ".thumb.jpg"), thumb)
        return thumb

    def keep(self, digest: str, jpeg: bytes) -> None:
        """Store an already normalised JPEG under its SHA-256 (to put back a removed file)."""
        self.files.put(self.kind, self.key(digest), jpeg)

    def remove(self, sha256: str) -> None:
        """Delete a photo and its thumbnail, whichever exist; OSError if one cannot be."""
        for suffix in (".jpg", ".thumb.jpg"):
            self.files.delete(self.kind, self.key(sha256, suffix))

    def stored(self, *, before: dt.datetime | None = None) -> Iterator[str]:
        """The SHA-256 of each photo (or lone thumbnail) kept, once each; with ``before``,
        only those whose files were all last written before it."""
        newest: dict[str, dt.datetime] = {}
        for entry in self.files.entries(self.kind):
            digest = entry.key.rsplit("/", 1)[-1].split(".", 1)[0]
            if is_sha256(digest) and entry.key.endswith(".jpg"):
                seen = newest.get(digest)
                newest[digest] = entry.written_at if seen is None else max(seen, entry.written_at)
        yield from sorted(d for d, t in newest.items() if before is None or t < before)

    def leftovers(self, *, before: dt.datetime, remove: bool = False) -> int:
        """Temporary files of writes cut short (a crash between write and rename)."""
        return self.files.leftovers(self.kind, before=before, remove=remove)


class ReportPhotoStore(PhotoStore):
    """Photos a checker sends with a report of a suspect card: checked as a holder's photo
    is, kept apart from holders' photos (kind ``reports``), shown only to the scheme's
    admins working the report."""

    kind: FileKind = "reports"


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all: into a temporary file beside it, then
    renamed over it (what the content-addressed stores keep by SHA-256)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def drawn_portrait(name: str, *, size: tuple[int, int] = (360, 450)) -> bytes:
    """A synthetic portrait for demo and test people: a drawn head and shoulders with the
    person's initials, its colours chosen from the name (the same name, the same picture).
    PNG bytes, as an upload would be."""
    from PIL import Image, ImageDraw, ImageFont

    seed = hashlib.sha256(name.encode()).digest()
    width, height = size
    background = (150 + seed[0] % 90, 170 + seed[1] % 70, 185 + seed[2] % 60)
    skin = [(241, 194, 160), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172)][
        seed[3] % 5
    ]
    hair = [(35, 25, 20), (90, 56, 37), (160, 120, 60), (200, 200, 200), (20, 20, 20)][seed[4] % 5]
    shirt = (30 + seed[5] % 120, 60 + seed[6] % 100, 90 + seed[7] % 120)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    cx = width // 2
    draw.ellipse((cx - width * 0.42, height * 0.70, cx + width * 0.42, height * 1.25), fill=shirt)
    draw.rectangle((cx - width * 0.08, height * 0.55, cx + width * 0.08, height * 0.75), fill=skin)
    head = (cx - width * 0.22, height * 0.17, cx + width * 0.22, height * 0.63)
    draw.ellipse((head[0] - 8, head[1] - 10, head[2] + 8, head[1] + height * 0.28), fill=hair)
    draw.ellipse(head, fill=skin)
    eye_y = height * 0.38
    for dx in (-0.08, 0.08):
        x = cx + width * dx
        draw.ellipse((x - 7, eye_y - 5, x + 7, eye_y + 5), fill=(40, 30, 30))
    draw.arc((cx - 30, height * 0.44, cx + 30, height * 0.53), 20, 160, fill=(120, 40, 40), width=4)
    initials = "".join(part[0] for part in name.split()[:3] if part).upper()
    font = ImageFont.load_default(size=int(height * 0.09))
    draw.text((cx, height * 0.88), initials, fill=(255, 255, 255), font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
