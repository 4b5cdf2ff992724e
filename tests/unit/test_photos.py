"""The photo store: only real JPEG/PNG, normalised, stored by content; thumbnails of ≤ 1 KB."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from skillcard.adapters.photos import (
    MAX_UPLOAD_BYTES,
    PhotoRefused,
    PhotoStore,
    drawn_portrait,
    make_thumbnail,
    normalise_photo,
)


def image_bytes(kind: str, size=(400, 500), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128 if mode in ("L", "1") else (90, 140, 200)).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_real_photo_is_stored_by_the_sha256_of_its_normalised_jpeg(tmp_path, kind):
    store = PhotoStore(tmp_path)
    digest = store.put(image_bytes(kind))
    stored = store.get(digest)
    assert hashlib.sha256(stored).hexdigest() == digest
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert store.put(image_bytes(kind)) == digest  # the same photo, the same file


def test_a_large_photo_is_scaled_down_and_metadata_dropped(tmp_path):
    picture = Image.new("RGB", (3000, 4000), (10, 200, 30))
    out = io.BytesIO()
    picture.save(out, "JPEG", comment=b"secret", exif=Image.Exif())
    stored = Image.open(io.BytesIO(normalise_photo(out.getvalue())))
    assert stored.size[0] <= 600 and stored.size[1] <= 750
    assert "comment" not in stored.info


def test_a_palette_or_transparent_png_is_accepted(tmp_path):
    digest = PhotoStore(tmp_path).put(image_bytes("PNG", mode="RGBA"))
    assert len(digest) == 64


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00" + bytes(5000),  # a Windows executable named face.jpg
        b"\x7fELF" + bytes(5000),
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"GIF89a" + bytes(100),
        b"\xff\xd8\xff\xe0" + bytes(100),  # a JPEG header and nothing else
        b"",
    ],
)
def test_what_is_not_a_jpeg_or_png_is_refused_and_nothing_is_written(tmp_path, data):
    with pytest.raises(PhotoRefused):
        PhotoStore(tmp_path).put(data)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_other_real_image_formats_are_refused(tmp_path):
    with pytest.raises(PhotoRefused, match="not a JPEG or PNG"):
        PhotoStore(tmp_path).put(image_bytes("GIF"))


def test_too_many_bytes_is_refused_before_reading():
    with pytest.raises(PhotoRefused, match="larger than 5 MB"):
        normalise_photo(b"\x89PNG" + bytes(MAX_UPLOAD_BYTES))


def test_a_decompression_bomb_is_refused():
    bomb = image_bytes("PNG", size=(8000, 8000), mode="1")  # 64 megapixels, a few kB
    assert len(bomb) < 100_000
    with pytest.raises(PhotoRefused, match="too many pixels"):
        normalise_photo(bomb)


def test_a_tiny_image_is_refused():
    with pytest.raises(PhotoRefused, match="too small"):
        normalise_photo(image_bytes("PNG", size=(20, 20)))


@pytest.mark.parametrize("name", ["Ann Núñez-O'Brien", "Bob Smith", "Gearóid Ó Súilleabháin"])
def test_thumbnails_fit_in_a_kilobyte(name):
    thumb = make_thumbnail(normalise_photo(drawn_portrait(name)))
    assert len(thumb) <= 1024
    picture = Image.open(io.BytesIO(thumb))
    assert picture.format == "JPEG" and picture.mode == "L" and picture.size == (48, 60)


def test_a_noisy_photo_still_gets_a_thumbnail_under_a_kilobyte():
    import random

    rng = random.Random(1)
    noisy = Image.frombytes("RGB", (300, 375), bytes(rng.randrange(256) for _ in range(337_500)))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(make_thumbnail(normalise_photo(out.getvalue()))) <= 1024


def test_the_thumbnail_is_kept_beside_the_photo(tmp_path):
    store = PhotoStore(tmp_path)
    digest = store.put(drawn_portrait("Ann"))
    first = store.thumbnail(digest)
    assert store.path(digest, ".thumb.jpg").read_bytes() == first == store.thumbnail(digest)


def test_references_that_are_not_a_sha256_find_nothing(tmp_path):
    store = PhotoStore(tmp_path)
    assert store.get("../../etc/passwd") is None
    assert store.thumbnail("0" * 63) is None
    assert store.get("0" * 64) is None


def test_drawn_portraits_are_deterministic_and_differ_by_name():
    assert drawn_portrait("Ann") == drawn_portrait("Ann") != drawn_portrait("Bob")
