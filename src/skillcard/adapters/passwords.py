"""Password hashing with Argon2id (argon2-cffi), behind the small interface the services use,
and the list of common passwords shipped with the package (data/common_passwords.txt)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Passwords:
    def __init__(self, *, cheapest: bool = False) -> None:
        # The test suite signs in hundreds of times: it uses Argon2's cheapest profile, still
        # real Argon2id. Everything else uses the library's recommended (RFC 9106) default.
        self._hasher = (
            PasswordHasher.from_parameters(profiles.CHEAPEST) if cheapest else PasswordHasher()
        )
        # Checked against when the e-mail is unknown, so both failures take as long.
        self._decoy = self._hasher.hash("not a real password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        # An account with no usable password (an invitation, a forced reset) is checked against
        # the decoy too: a quick refusal would tell which accounts those are.
        usable = stored_hash is not None and stored_hash.startswith("$argon2")
        try:
            checked = stored_hash if stored_hash is not None and usable else self._decoy
            return self._hasher.verify(checked, password) and usable
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, lower-cased (see data/README.md for the source)."""
    text = resources.files("skillcard").joinpath("data", "common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
