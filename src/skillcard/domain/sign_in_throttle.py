"""How repeated sign-in attempts are slowed, then refused, without locking the rightful user out.

Every attempt (a page's sign-in form or ``POST /api/v1/tokens``) is counted, before its password
is checked, against fixed-window counters (:class:`skillcard.domain.checks.RateLimit`, shared by
every server process in the database or Redis), in this order:

1. the client address, whatever the account: one address spraying many accounts;
2. the account from that address: slowed first (a minute's wait), then refused for an hour;
   signing in clears this pair's counts, so a person's own typos never add up;
3. the account, whatever the address: a limit far above the pair's, over a short window (the
   set delay), so a crowd of addresses guessing one password closes the account to everyone
   for at most that window, and the rightful user gets in from anywhere once it ends.

An attempt refused at one stage is not counted at the next: an attacker's refused guesses do
not close the account. Refusals are audited without letting a flood write one row each: the
first refusal of a window is the lock, and later ones are written at the 2nd, 4th, 8th... with
the running total, so n refused attempts cost about log2(n) rows and the log states them all.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass

from skillcard.domain.checks import RateLimit

MINUTE, HOUR = 60, 3600
RESET_PATH = "/password/forgot"  # where a locked-out person gets a link to a new password


class Scope(enum.StrEnum):
    ADDRESS = "address"  # a client address, whatever the account
    PAIR = "pair"  # one account from one client address
    ACCOUNT = "account"  # one account, whatever the address


@dataclass(frozen=True)
class Stage:
    scope: Scope
    rule: RateLimit

    def key(self, subject: str) -> str:
        # The window is in the key: two stages of one subject never share a counter, even
        # when their windows start at the same second.
        return f"signin:{self.scope.value}:{self.rule.window_seconds}:{subject}"


@dataclass(frozen=True)
class SignInLimits:
    stages: tuple[Stage, ...]

    @classmethod
    def of(
        cls,
        *,
        slow_after: int,
        lock_after: int,
        address_per_minute: int,
        address_per_hour: int,
        account_limit: int,
        account_window_seconds: int,
    ) -> SignInLimits:
        return cls(
            (
                Stage(Scope.ADDRESS, RateLimit(address_per_minute, MINUTE)),
                Stage(Scope.ADDRESS, RateLimit(address_per_hour, HOUR)),
                Stage(Scope.PAIR, RateLimit(slow_after, MINUTE)),
                Stage(Scope.PAIR, RateLimit(lock_after, HOUR)),
                Stage(Scope.ACCOUNT, RateLimit(account_limit, account_window_seconds)),
            )
        )

    def of_scope(self, scope: Scope) -> tuple[Stage, ...]:
        return tuple(stage for stage in self.stages if stage.scope == scope)


def subjects(email: str, client: str, secret: str) -> dict[Scope, str]:
    """The counters' names for an e-mail typed and a client: keyed hashes, so the counters
    hold no e-mail address (``client`` is already one: see ``domain.checks.client_key``)."""
    email = email.strip().lower()
    return {
        Scope.ADDRESS: client,
        Scope.PAIR: _keyed(secret, f"{email}\0{client}"),
        Scope.ACCOUNT: _keyed(secret, email),
    }


def _keyed(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def refusal_is_audited(refused: int) -> bool:
    """Whether the ``refused``-th refusal of a window is written: the 1st (the lock), then
    each power of two, carrying the running total."""
    return refused >= 1 and refused & (refused - 1) == 0


def refusal_message(stage: Stage, wait_seconds: int) -> str:
    wait = _wait(wait_seconds)
    if stage.scope == Scope.ADDRESS:
        return f"too many sign-in attempts from your network: try again in {wait}"
    if stage.scope == Scope.ACCOUNT:
        return (
            f"too many attempts to sign in to this account: try again in {wait}, "
            f"or reset your password at {RESET_PATH}"
        )
    if stage.rule.window_seconds >= HOUR:
        return (
            f"this account is locked here after too many wrong passwords: reset your password "
            f"at {RESET_PATH} or try again in {wait}"
        )
    return f"too many wrong passwords: wait {wait} and try again"


def _wait(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{-(-seconds // 60)} minutes"
