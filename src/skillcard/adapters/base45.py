"""Base45 (RFC 9285): bytes as text in the QR code's alphanumeric alphabet.

Strict: a character outside the alphabet, a group of one character, or a group whose value
does not fit its bytes (``"GGW"`` is 65,535 + 1) is refused with :class:`EncodingError`.

Decoding sits on the verification hot path, so it runs no Python loop per character. The
digits are read as one big-endian integer whose 24-bit lanes are the three-digit groups; three
masked shifts and two multiplications turn every lane into its value at once (no lane can
carry into the next: 44 + 45·44 + 2025·44 < 2**24), and deleting every lane's top byte leaves
the decoded bytes. A few microseconds for a printed card.
"""

from __future__ import annotations

from skillcard.domain.credentials import EncodingError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 0xFF
_DIGITS = bytes(ALPHABET.index(chr(c)) if chr(c) in ALPHABET else _INVALID for c in range(256))


def encode(data: bytes) -> str:
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        value = data[i] << 8 | data[i + 1]
        high, low = divmod(value, 45)
        out += (ALPHABET[low], ALPHABET[high % 45], ALPHABET[high // 45])
    if len(data) % 2:
        high, low = divmod(data[-1], 45)
        out += (ALPHABET[low], ALPHABET[high])
    return "".join(out)


def decode(text: str) -> bytes:
    try:
        digits = text.encode("ascii").translate(_DIGITS)
    except UnicodeEncodeError:
        raise EncodingError("the code has a character outside the Base45 alphabet") from None
    if _INVALID in digits:
        raise EncodingError("the code has a character outside the Base45 alphabet")
    groups, rest = divmod(len(digits), 3)
    if rest == 1:
        raise EncodingError("the code's length is not a whole number of Base45 groups")
    low, top = _masks(groups)
    number = int.from_bytes(digits[: groups * 3] if rest else digits, "big")
    # Lane k holds 65536·c + 256·d + e for the group "cde"; its value is c + 45·d + 2025·e.
    values = (number >> 16 & low) + 45 * (number >> 8 & low) + 2025 * (number & low)
    if values & top:
        raise EncodingError("the code has a Base45 group out of range")
    out = bytearray(values.to_bytes(3 * groups, "big"))
    del out[0::3]  # each lane is 0, high byte, low byte
    if rest:
        value = digits[-2] + 45 * digits[-1]
        if value > 0xFF:
            raise EncodingError("the code's last Base45 group is out of range")
        out.append(value)
    return bytes(out)


def _masks(groups: int) -> tuple[int, int]:
    # Built once for the longest QR code (4,296 characters); a bitwise AND with a longer
    # positive mask costs only the length of the shorter number.
    return _make_masks(groups) if groups > _MASKED_GROUPS else _MASKS


def _make_masks(groups: int) -> tuple[int, int]:
    low = int.from_bytes(b"\x00\x00\xff" * groups, "big")
    return low, low << 16


_MASKED_GROUPS = 4296 // 3
_MASKS = _make_masks(_MASKED_GROUPS)
