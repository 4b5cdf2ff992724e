"""QR images: written by segno, read back by zxing-cpp, hostile images refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from skillcard.adapters.qr import qr_png, qr_svg, read_qr
from skillcard.errors import InvalidInput

TEXT = "SC1:" + "6BFOXN*TS0BI$ZDFRH" * 20


def test_a_printed_code_reads_back_with_its_version():
    [code] = read_qr(qr_png(TEXT))
    assert code.text == TEXT
    assert code.version is not None and code.version <= 15


def test_text_too_long_for_a_printed_card_is_refused():
    with pytest.raises(InvalidInput, match="at most 15"):
        qr_png("SC1:" + "A" * 440)


def test_an_svg_is_made_for_pages():
    assert qr_svg(TEXT).startswith("<svg")


@pytest.mark.parametrize("junk", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50])
def test_files_that_are_not_images_are_refused(junk):
    with pytest.raises(InvalidInput, match="not an image"):
        read_qr(junk)


def test_an_image_with_too_many_pixels_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")  # small file, 64 M pixels
    with pytest.raises(InvalidInput, match="too many pixels"):
        read_qr(buffer.getvalue())


def test_an_image_without_a_code_gives_nothing():
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, format="PNG")
    assert read_qr(buffer.getvalue()) == []
