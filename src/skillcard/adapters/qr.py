"""QR codes: writing them (segno) and reading them back from images (zxing-cpp).

Credentials are Base45 text, which fits QR's alphanumeric mode (5.5 bits a character instead
of 8), so a signed card stays small enough for a worn, printed card at error correction Q.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

from skillcard.errors import InvalidInput

PRINTED_ERROR = "q"  # a quarter of the code can be scuffed away and it still reads
PRINTED_MAX_VERSION = 15
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


@dataclass(frozen=True)
class ReadCode:
    text: str
    version: int | None


def make_qr(text: str, *, error: str = PRINTED_ERROR, max_version: int | None = None):
    """A QR symbol for ``text``; refuses text that would need a version above ``max_version``."""
    symbol = segno.make_qr(text, error=error, boost_error=False)
    if max_version is not None and int(symbol.version) > max_version:
        raise InvalidInput(
            f"the text needs a version {symbol.version} QR code; at most {max_version} is allowed"
        )
    return symbol


def qr_png(
    text: str,
    *,
    scale: int = 6,
    error: str = PRINTED_ERROR,
    max_version: int | None = PRINTED_MAX_VERSION,
) -> bytes:
    buffer = io.BytesIO()
    make_qr(text, error=error, max_version=max_version).save(
        buffer, kind="png", scale=scale, border=4
    )
    return buffer.getvalue()


def qr_svg(text: str, *, error: str = PRINTED_ERROR, max_version: int | None = None) -> str:
    buffer = io.BytesIO()
    make_qr(text, error=error, max_version=max_version).save(
        buffer,
        kind="svg",
        scale=1,
        border=4,
        xmldecl=False,
        svgns=True,
        title="Digital card QR code",
        omitsize=True,
    )
    return buffer.getvalue().decode()


def read_qr(image: bytes) -> list[ReadCode]:
    """Every QR code found in an image file (PNG, JPEG...); hostile files are refused."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(image) > MAX_IMAGE_BYTES:
        raise InvalidInput(f"the image is larger than {MAX_IMAGE_BYTES // 1024 // 1024} MB")
    try:
        with Image.open(io.BytesIO(image)) as picture:
            if picture.width * picture.height > MAX_IMAGE_PIXELS:  # decompression bombs
                raise InvalidInput("the image has too many pixels")
            picture.load()
            found = zxingcpp.read_barcodes(picture.convert("L"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidInput(f"the file is not an image skillcard can read ({error})") from None
    codes = []
    for code in found:
        if code.format == zxingcpp.BarcodeFormat.QRCode and code.valid:
            extra = code.extra if isinstance(code.extra, dict) else {}
            version = extra.get("Version")
            number = str(version)
            codes.append(ReadCode(code.text, int(number) if number.isdigit() else None))
    return codes
