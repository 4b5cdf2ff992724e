"""Card numbers: a scheme prefix, a serial and a Luhn check digit.

No scheme publishes its number format, so skillcard gives every scheme a unique letter prefix
(``ECS``, ``CPCS`` ...) followed by a fixed count of digits, the last a Luhn (mod 10) check
digit. The prefix is what lets Smart Check find the scheme from the number alone; the check
digit catches every single-digit slip and most swapped neighbours before any look-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skillcard.errors import InvalidCardNumber

_PREFIX = re.compile(r"[A-Z]{2,6}")
_SEPARATORS = re.compile(r"[\s\-/.]")


def luhn_check_digit(serial: str) -> int:
    """The digit that makes ``serial + digit`` pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(serial)):
        value = int(char)
        if position % 2 == 0:  # these are doubled once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def normalise_card_number(text: str) -> str:
    """Upper-case, with the spaces and dashes people type taken out."""
    return _SEPARATORS.sub("", text or "").upper()


@dataclass(frozen=True)
class CardNumberFormat:
    prefix: str
    digits: int  # the serial and its check digit together

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ValueError(f"card number prefix must be 2-6 capital letters, not {self.prefix!r}")
        if not 4 <= self.digits <= 12:
            raise ValueError(f"card numbers need 4 to 12 digits, not {self.digits}")

    @property
    def capacity(self) -> int:
        return int(10 ** (self.digits - 1)) - 1

    @property
    def example(self) -> str:
        return self.number_for(1234567 % self.capacity + 1)

    def number_for(self, serial: int) -> str:
        if not 1 <= serial <= self.capacity:
            raise InvalidCardNumber(
                f"serial {serial} is outside 1..{self.capacity} for {self.prefix}"
            )
        body = str(serial).zfill(self.digits - 1)
        return f"{self.prefix}{body}{luhn_check_digit(body)}"

    def serial_of(self, number: str) -> int:
        """The serial of a number of this format (already parsed)."""
        return int(number[len(self.prefix) : -1])

    def matches(self, number: str) -> bool:
        """True when ``number`` (already normalised) has this format, whatever its check digit."""
        body = number[len(self.prefix) :]
        return (
            number.startswith(self.prefix)
            and len(body) == self.digits
            and body.isascii()  # "²".isdigit() is True, but it is no card digit
            and body.isdigit()
        )

    def parse(self, text: str) -> str:
        """The normalised number, or :class:`InvalidCardNumber` saying what is wrong with it."""
        number = normalise_card_number(text)
        if not number.startswith(self.prefix):
            raise InvalidCardNumber(
                f"{text!r} is not a {self.prefix} card number: they start with {self.prefix}, "
                f"e.g. {self.example}"
            )
        if not self.matches(number):
            raise InvalidCardNumber(
                f"{text!r} is not a {self.prefix} card number: {self.prefix} is followed by "
                f"{self.digits} digits, e.g. {self.example}"
            )
        body = number[len(self.prefix) :]
        if luhn_check_digit(body[:-1]) != int(body[-1]):
            raise InvalidCardNumber(
                f"{text!r} has a wrong check digit: please check the number on the card"
            )
        return number


# --- the entry of credentials printed before migration 0018 -------------------------------


def legacy_status_index(number: str, prefix: str) -> int:
    """The entry a credential printed before migration 0018 carries: the card's serial, the
    digits between the prefix and the check digit. Entries are now drawn at random
    (:mod:`skillcard.domain.status_indexes`); this one stays the card's until it expires."""
    return int(number[len(prefix) : -1])
