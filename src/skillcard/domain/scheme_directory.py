"""The schemes as every check finds them: one directory of the schemes by code and by number
prefix, and one rule for when a copy of it is read again.

Every check starts by finding the scheme from the card number's prefix (or the code given).
There are 38 schemes and they change a few times a year, so each process keeps a copy: read
again once it is STALE_AFTER_SECONDS old, and at once for a number or a code the copy does not
know, but at most once every MISS_REREAD_SECONDS (a client sending made-up numbers must not make
every check a reading of the schemes). The threaded checks (``adapters/db/scheme_cache.py``),
the API's desk on PostgreSQL (``adapters/db/check_desk.py``) and bulk checks all hold one.
"""

from __future__ import annotations

from collections.abc import Iterable

from skillcard.domain.card_numbers import normalise_card_number
from skillcard.domain.schemes import Scheme, longest_prefix_first, resolve_scheme
from skillcard.errors import InvalidCardNumber, NotFound

STALE_AFTER_SECONDS = 30.0
MISS_REREAD_SECONDS = 1.0


class SchemeDirectory:
    """The schemes read at ``read_at`` (a monotonic clock's seconds), by code and by prefix."""

    def __init__(self, schemes: Iterable[Scheme], read_at: float) -> None:
        self.schemes = longest_prefix_first(schemes)
        self.read_at = read_at
        self._by_code = {scheme.code.upper(): scheme for scheme in self.schemes}
        self._by_prefix = {scheme.number_prefix: scheme for scheme in self.schemes}
        # a look-up per prefix length (there are two or three), not a scan of 38 schemes
        self._lengths = sorted({len(prefix) for prefix in self._by_prefix}, reverse=True)

    def by_code(self, code: str) -> Scheme | None:
        return self._by_code.get(code.strip().upper())

    def by_prefix(self, number: str) -> Scheme | None:
        """The scheme whose prefix starts ``number`` (normalised; no prefix starts another)."""
        for length in self._lengths:
            found = self._by_prefix.get(number[:length])
            if found is not None:
                return found
        return None

    def resolve(self, number: str, scheme_code: str | None) -> tuple[Scheme, str]:
        """The scheme a card number belongs to and the number checked against its format:
        NotFound for an unknown code, InvalidCardNumber for a number of no known prefix or
        one its scheme's format refuses (see :func:`resolve_scheme`)."""
        return resolve_scheme(number, scheme_code, by_code=self.by_code, by_prefix=self.by_prefix)

    def knows(self, number: str, scheme_code: str | None) -> bool:
        """Whether the scheme of this code (or of this number's prefix) is in the directory:
        when it is not, a copy read a moment ago may be missing one just added."""
        if scheme_code:
            return self.by_code(scheme_code) is not None
        return self.by_prefix(normalise_card_number(number)) is not None

    def is_stale(self, now: float) -> bool:
        return now - self.read_at > STALE_AFTER_SECONDS

    def may_reread_for_a_miss(self, now: float) -> bool:
        return now - self.read_at >= MISS_REREAD_SECONDS


EMPTY = SchemeDirectory((), float("-inf"))


def resolve_or_reread(
    directory: SchemeDirectory,
    number: str,
    scheme_code: str | None,
    *,
    now: float,
) -> tuple[Scheme, str] | None:
    """The directory's answer, or None when the caller should read the schemes again first
    (the directory does not know the scheme and may be read again for a miss). A wrong
    number of a known scheme raises at once: reading again would not change it."""
    try:
        return directory.resolve(number, scheme_code)
    except (NotFound, InvalidCardNumber):
        if directory.knows(number, scheme_code) or not directory.may_reread_for_a_miss(now):
            raise
    return None
