"""Schemes and the card types they issue."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from skillcard.domain.card_numbers import CardNumberFormat, normalise_card_number
from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidCardNumber, NotFound


class CardCategory(enum.StrEnum):
    SKILLED = "skilled"
    APPRENTICE = "apprentice"
    TRAINEE = "trainee"
    LABOURER = "labourer"
    SUPERVISOR_MANAGER = "supervisor_manager"
    PQP = "pqp"
    VISITOR = "visitor"
    OTHER = "other"


@dataclass(eq=False)
class Scheme:
    code: str
    name: str
    operator: str
    number_prefix: str
    number_digits: int = 8
    trade: str = ""
    website: str = ""
    sample: bool = False  # True where the scheme is made up to fill the 38: never shown as fact
    source: str = ""
    id: int = UNSAVED

    @property
    def number_format(self) -> CardNumberFormat:
        return CardNumberFormat(self.number_prefix, self.number_digits)


@dataclass(eq=False)
class CardType:
    scheme_id: int
    code: str
    title: str
    category: CardCategory
    colour: str = ""
    validity_months: int = 36
    cpd_target_hours: int = 0
    renewable: bool = True
    sample: bool = False
    source: str = ""
    id: int = UNSAVED

    @property
    def validity_years(self) -> float:
        return self.validity_months / 12


@dataclass(eq=False)
class Occupation:
    """A job a person does; it leads to one card type."""

    scheme_id: int
    code: str
    title: str
    card_type_id: int
    id: int = UNSAVED


@dataclass(frozen=True)
class Qualification:
    code: str
    title: str
    level: str = ""
    awarding_body: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)  # e.g. ("net_zero",)
    sample: bool = False


def longest_prefix_first(schemes: Iterable[Scheme]) -> tuple[Scheme, ...]:
    """Schemes longest number prefix first (though no prefix starts another)."""
    return tuple(sorted(schemes, key=lambda scheme: len(scheme.number_prefix), reverse=True))


def resolve_scheme(
    number: str,
    scheme_code: str | None,
    *,
    by_code: Callable[[str], Scheme | None],
    by_prefix: Callable[[str], Scheme | None],
) -> tuple[Scheme, str]:
    """The scheme a card number belongs to (named by code, or found from the number's prefix)
    and the number checked against that scheme's format."""
    if scheme_code:
        scheme = by_code(scheme_code)
        if scheme is None:
            raise NotFound(f"there is no scheme with the code {scheme_code!r}")
        return scheme, scheme.number_format.parse(number)
    scheme = by_prefix(normalise_card_number(number))
    if scheme is None:
        raise InvalidCardNumber(
            f"{number!r} does not look like a card number of any scheme skillcard knows"
        )
    return scheme, scheme.number_format.parse(number)
