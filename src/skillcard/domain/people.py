"""Cardholders and what they hold besides cards: qualifications and institute memberships."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Protocol

from skillcard.domain.names import clean_name, surname_key
from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Named(Protocol):
    @property
    def given_names(self) -> str: ...
    @property
    def surname(self) -> str: ...


@dataclass(eq=False)
class Cardholder:
    given_names: str
    surname: str
    date_of_birth: dt.date | None = None
    email: str | None = None
    photo_sha256: str | None = None
    surname_key: str = ""
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.given_names = clean_name(self.given_names)
        self.surname = clean_name(self.surname)
        if not self.surname or not surname_key(self.surname):
            raise InvalidInput("a cardholder needs a surname")
        if not self.given_names:
            raise InvalidInput("a cardholder needs at least one given name")
        if len(self.surname) > 100 or len(self.given_names) > 100:
            raise InvalidInput("names are limited to 100 characters")
        if self.email is not None:
            self.email = self.email.strip().lower() or None
            if self.email and not _EMAIL.match(self.email):
                raise InvalidInput(f"{self.email!r} is not an e-mail address")
        self.surname_key = surname_key(self.surname)

    @property
    def full_name(self: _Named) -> str:
        return f"{self.given_names} {self.surname}"


@dataclass(frozen=True, slots=True)
class HolderFacts:
    """What a check shows of a card's holder, as read: no mapped Cardholder per check."""

    given_names: str
    surname: str
    surname_key: str
    photo_sha256: str | None = None
    id: int = UNSAVED

    full_name = Cardholder.full_name


@dataclass(eq=False)
class HeldQualification:
    cardholder_id: int
    qualification_code: str
    achieved_on: dt.date
    certificate_number: str = ""
    verified: bool = False  # False: self-declared, not yet seen by the scheme
    id: int = UNSAVED


@dataclass(frozen=True)
class RecognisedInstitute:
    """A professional body whose members at a qualifying grade may hold a PQP card."""

    code: str
    name: str
    membership_pattern: str  # a regular expression for its membership numbers
    qualifying_grades: tuple[str, ...] = field(default_factory=tuple)
    recognised_for: str = ""
    sample: bool = False
    source: str = ""

    def check_membership_number(self, number: str) -> str:
        number = number.strip().upper()
        if not re.fullmatch(self.membership_pattern, number):
            raise InvalidInput(f"{number!r} is not a {self.code} membership number")
        return number


@dataclass(eq=False)
class Membership:
    cardholder_id: int
    institute_code: str
    number: str
    grade: str
    verified: bool = False
    lapsed_on: dt.date | None = None
    id: int = UNSAVED


HSE_SOURCES = ("assessment", "admin_entry")


@dataclass(eq=False)
class HseRecord:
    """A Health, Safety and Environmental assessment pass, which counts until ``valid_until``."""

    cardholder_id: int
    passed_on: dt.date
    valid_until: dt.date
    source: str  # "assessment" (a verified attempt) or "admin_entry" (a test-centre result)
    recorded_by: str
    recorded_at: dt.datetime
    score: int | None = None
    out_of: int | None = None
    attempt_id: int | None = None
    id: int = UNSAVED

    def __post_init__(self) -> None:
        if self.source not in HSE_SOURCES:
            raise InvalidInput(f"an HSE record comes from one of {', '.join(HSE_SOURCES)}")
        if self.valid_until <= self.passed_on:
            raise InvalidInput("an HSE pass must be valid for some time after it was passed")
