"""People who sign in, their roles, and who may see or change what.

Every rule about access lives here, so the services can enforce it whatever calls them (a
page, the API or the CLI), and the tests can prove each boundary without a server.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Protocol

from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput, PermissionDenied


class Role(enum.StrEnum):
    CARDHOLDER = "cardholder"
    BUSINESS_ADMIN = "business_admin"
    BUSINESS_CHECKER = "business_checker"
    INVIGILATOR = "invigilator"
    ASSESSOR = "assessor"
    SCHEME_ADMIN = "scheme_admin"
    SCHEME_CONNECTOR = "scheme_connector"  # a scheme's own system: sends its cards, no more
    HUB_ADMIN = "hub_admin"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCHEME_SCOPED = {Role.SCHEME_ADMIN, Role.SCHEME_CONNECTOR, Role.INVIGILATOR, Role.ASSESSOR}
BUSINESS_SCOPED = {Role.BUSINESS_ADMIN, Role.BUSINESS_CHECKER}


class Account(Protocol):
    """What a principal is made of: a user, or an API token's row with its user's fields."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def scheme_id(self) -> int | None: ...
    @property
    def cardholder_id(self) -> int | None: ...
    @property
    def business_id(self) -> int | None: ...


@dataclass(eq=False)
class User:
    email: str
    display_name: str
    role: Role
    password_hash: str
    scheme_id: int | None = None
    cardholder_id: int | None = None
    business_id: int | None = None
    active: bool = True
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        if len(self.email) > 254 or not _EMAIL.match(self.email):
            raise InvalidInput(f"{self.email!r} is not an e-mail address")
        role = Role(self.role)
        if role in SCHEME_SCOPED and self.scheme_id is None:
            raise InvalidInput(f"a {role.value} must belong to a scheme")
        if role == Role.CARDHOLDER and self.cardholder_id is None:
            raise InvalidInput("a cardholder account must be linked to a cardholder record")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, or the operator at the command line."""

    label: str
    role: Role
    user_id: int | None = None
    scheme_id: int | None = None
    cardholder_id: int | None = None
    business_id: int | None = None

    @classmethod
    def of(cls, user: Account) -> Principal:
        return cls(
            label=user.email,
            role=Role(user.role),
            user_id=user.id,
            scheme_id=user.scheme_id,
            cardholder_id=user.cardholder_id,
            business_id=user.business_id,
        )

    @classmethod
    def operator(cls) -> Principal:
        """The person at the server's command line: full rights, audited as ``cli``."""
        return cls(label="cli", role=Role.HUB_ADMIN)

    @property
    def is_hub_admin(self) -> bool:
        return self.role == Role.HUB_ADMIN


def can_manage_scheme(who: Principal, scheme_id: int) -> bool:
    return who.is_hub_admin or (who.role == Role.SCHEME_ADMIN and who.scheme_id == scheme_id)


def can_send_cards(who: Principal, scheme_id: int) -> bool:
    """Who may send a scheme's card records: its connector, its admins, a hub admin. A
    connector may do nothing else (every other rule asks for another role)."""
    return can_manage_scheme(who, scheme_id) or (
        who.role == Role.SCHEME_CONNECTOR and who.scheme_id == scheme_id
    )


def can_view_cardholder(who: Principal, cardholder_id: int, card_scheme_ids: set[int]) -> bool:
    """A holder sees themselves; a scheme admin sees holders of their scheme's cards, and
    holders with no card yet (so that they can issue the first)."""
    if who.is_hub_admin or (who.role == Role.CARDHOLDER and who.cardholder_id == cardholder_id):
        return True
    if who.role == Role.SCHEME_ADMIN:
        return not card_scheme_ids or who.scheme_id in card_scheme_ids
    return False


def can_view_card(who: Principal, scheme_id: int, cardholder_id: int) -> bool:
    if can_manage_scheme(who, scheme_id):
        return True
    return who.role == Role.CARDHOLDER and who.cardholder_id == cardholder_id


# API tokens: a token lasts at most a year, and its last use is noted to the minute, so a
# client making many requests a second writes once a minute, not once a request.
MAX_API_TOKEN_DAYS = 365
LAST_USED_GRAIN = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class ApiToken:
    """A bearer token as its holder sees it: everything but the secret."""

    id: int
    user_email: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def state_on(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


def last_use_is_stale(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_GRAIN


def require(allowed: object, what: str) -> None:
    if not allowed:
        raise PermissionDenied(f"you do not have permission to {what}")


def tied(value: int | None, to: str) -> int:
    """A principal's own holder, scheme, business or user id, where a rule needs one."""
    if value is None:
        raise PermissionDenied(f"only {to} may do this")
    return value
