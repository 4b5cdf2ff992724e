"""Schemes and the card types they issue."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from skillcard.domain.card_numbers import CardNumberFormat


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
    id: int | None = None

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
    id: int | None = None

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
    id: int | None = None


@dataclass(frozen=True)
class Qualification:
    code: str
    title: str
    level: str = ""
    awarding_body: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)  # e.g. ("net_zero",)
    sample: bool = False
