"""What a new password must be, and the links that let someone choose one.

One rule for every door where a password is set (registration, an invitation, ``skillcard
user add``, a change, a reset): long enough, and not one of the passwords that attackers try
first. The list of those is data shipped with the package; the caller hands it in, so this
module reads no file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from dataclasses import dataclass

from skillcard.errors import Conflict, InvalidInput, NotFound

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200  # the forms' limit; a longer one is a mistake or an attack
# Stored instead of a hash when no password may sign in (an invitation not yet accepted, a
# reset forced by an admin): it is not an Argon2 hash, so no password ever matches it.
NO_PASSWORD = "!"


def check_new_password(password: str, common: Container[str]) -> None:
    """Refuse a password that is too short, too long, or among the most common ones (compared
    without regard to case or surrounding spaces, as attackers' lists are tried)."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip().lower() in common:
        raise InvalidInput(
            "that password is one of the most common ones, which attackers try first: "
            "choose another"
        )


@dataclass(frozen=True)
class ResetLink:
    """A password reset link as stored: the SHA-256 of its secret, never the secret."""

    token_hash: str
    user_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None

    def check_usable(self, now: dt.datetime) -> None:
        """Raise unless the link may still set a password at ``now``."""
        if self.used_at is not None:
            raise link_used()
        if self.expires_at <= now:
            raise Conflict("that link has expired: ask for a new one")


def link_used() -> Conflict:
    return Conflict(
        "that link was used already, or a newer one was sent: use the newest link, or ask for "
        "another"
    )


def link_not_found() -> NotFound:
    return NotFound("that link is not valid: check that you copied all of it, or ask for another")
