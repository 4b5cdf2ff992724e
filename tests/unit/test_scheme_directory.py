"""The one directory of the schemes every check resolves a number in, and its one rule for
reading the schemes again (issue 15)."""

from __future__ import annotations

import pytest

from skillcard.domain.card_numbers import CardNumberFormat
from skillcard.domain.scheme_directory import (
    MISS_REREAD_SECONDS,
    STALE_AFTER_SECONDS,
    SchemeDirectory,
    resolve_or_reread,
)
from skillcard.domain.schemes import Scheme
from skillcard.errors import InvalidCardNumber, NotFound

READ_AT = 1000.0


def _directory() -> SchemeDirectory:
    schemes = [
        Scheme(code=code, name=code, operator="op", number_prefix=code, number_digits=digits, id=i)
        for i, (code, digits) in enumerate((("QX", 5), ("ECS", 8), ("CPCS", 8), ("SNIJIB", 12)))
    ]
    return SchemeDirectory(schemes, READ_AT)


@pytest.mark.parametrize(("prefix", "digits"), [("QX", 5), ("ECS", 8), ("CPCS", 8), ("SNIJIB", 12)])
def test_a_number_of_every_prefix_length_finds_its_scheme_as_typed(prefix, digits):
    number = CardNumberFormat(prefix, digits).number_for(42)
    typed = f"{number[:2].lower()} {number[2:]}"
    scheme, normalised = _directory().resolve(typed, None)
    assert (scheme.code, normalised) == (prefix, number)
    assert _directory().resolve(number, f" {prefix.lower()} ")[0].code == prefix


def test_unknown_codes_and_prefixes_are_refused_in_the_single_checks_words():
    directory = _directory()
    with pytest.raises(NotFound, match="there is no scheme with the code 'NOPE'"):
        directory.resolve("ECS00000018", "NOPE")
    with pytest.raises(InvalidCardNumber, match="does not look like a card number"):
        directory.resolve("XYZ123", None)


def test_a_copy_is_stale_after_its_time_and_a_miss_reads_again_at_most_once_a_second():
    directory = _directory()
    assert not directory.is_stale(READ_AT + STALE_AFTER_SECONDS)
    assert directory.is_stale(READ_AT + STALE_AFTER_SECONDS + 0.1)
    soon, later = READ_AT + MISS_REREAD_SECONDS / 2, READ_AT + MISS_REREAD_SECONDS
    with pytest.raises(InvalidCardNumber):  # read a moment ago: the miss stands
        resolve_or_reread(directory, "JIB00000018", None, now=soon)
    assert resolve_or_reread(directory, "JIB00000018", None, now=later) is None  # read again
    assert resolve_or_reread(directory, "x", "JIB", now=later) is None
    ecs = CardNumberFormat("ECS", 8).number_for(7)
    wrong_digit = ecs[:-1] + str((int(ecs[-1]) + 1) % 10)
    with pytest.raises(InvalidCardNumber, match="check digit"):  # a known scheme: no reading
        resolve_or_reread(directory, wrong_digit, None, now=later)
    assert resolve_or_reread(directory, ecs, None, now=later)[1] == ecs
