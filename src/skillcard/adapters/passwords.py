"""Password hashing with Argon2id (argon2-cffi), behind the small interface the services use."""

from __future__ import annotations

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
        try:
            return self._hasher.verify(stored_hash or self._decoy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
