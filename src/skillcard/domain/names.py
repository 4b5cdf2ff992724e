"""Matching people's names the way a checker on site types them."""

from __future__ import annotations

import unicodedata

# Letters that do not decompose into a base letter plus an accent.
_FOLDS = str.maketrans({"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th"})
_IGNORED = set(" -'’‘`.,\u2010\u2011")  # with the Unicode hyphen and non-breaking hyphen

# Characters that show nothing, or turn the text after them round: zero-width space, joiners
# and marks (U+200B..U+200F), bidirectional embeddings and overrides (U+202A..U+202E) and
# isolates (U+2066..U+2069), and the byte-order mark (U+FEFF). Pasted from a document they
# make "Smith" a different name that looks the same; typed on purpose they make a name read
# other than it is stored. They are removed from every name (not refused: pasted by mistake
# they are the commonest, and removing them changes nothing a person can see).
INVISIBLE = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff"]
)
_REMOVE_INVISIBLE = str.maketrans(dict.fromkeys(INVISIBLE))


def clean_name(name: str | None) -> str:
    """A person's or a business's name as stored: invisible and direction-changing characters
    removed, runs of whitespace made one space, ends trimmed."""
    return " ".join((name or "").translate(_REMOVE_INVISIBLE).split())


def surname_key(surname: str) -> str:
    """The key surnames are stored and searched by: no case, accents, hyphens or spaces, nor
    any of the ``INVISIBLE`` characters.

    ``surname_key("O'Brien-Núñez") == surname_key("obrien nunez") == "obriennunez"``
    """
    folded = unicodedata.normalize("NFKD", surname.casefold()).translate(_FOLDS)
    folded = folded.translate(_REMOVE_INVISIBLE)
    return "".join(c for c in folded if not unicodedata.combining(c) and c not in _IGNORED)
