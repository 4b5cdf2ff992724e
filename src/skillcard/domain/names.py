"""Matching people's names the way a checker on site types them."""

from __future__ import annotations

import unicodedata

# Letters that do not decompose into a base letter plus an accent.
_FOLDS = str.maketrans({"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th"})
_IGNORED = set(" -'’‘`.,\u2010\u2011")  # with the Unicode hyphen and non-breaking hyphen


def surname_key(surname: str) -> str:
    """The key surnames are stored and searched by: no case, accents, hyphens or spaces.

    ``surname_key("O'Brien-Núñez") == surname_key("obrien nunez") == "obriennunez"``
    """
    folded = unicodedata.normalize("NFKD", surname.casefold()).translate(_FOLDS)
    return "".join(c for c in folded if not unicodedata.combining(c) and c not in _IGNORED)
