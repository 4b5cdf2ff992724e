"""A business's check budget: how many "does this card belong to this surname?" questions one
business may ask, whatever the door (single and spot checks, checks synced from a phone,
workforce additions, bulk rows).

Each of those answers the same question and names the holder on a match, so they all draw on
one allowance per business: so many a minute and so many a day. A business the hub admin has
not approved yet (anyone may register one, free, in a minute) gets a small allowance; an
approved one enough for a real employer's 50,000-row list. A burst of answers that match no
card (someone trying names against numbers) is told to the hub admins, once per window.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60
DAY = 86_400


@dataclass(frozen=True)
class Allowance:
    """Questions a business may ask a minute and a day."""

    per_minute: int
    per_day: int

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.per_day < 1:
            raise ValueError("an allowance allows at least one check a minute and a day")


@dataclass(frozen=True)
class BudgetRules:
    """The allowances by approval, and what counts as a burst of non-matches."""

    approved: Allowance
    unapproved: Allowance
    burst_no_matches: int  # this many answers of no match ...
    burst_minutes: int  # ... within a window of this many minutes is a burst

    def allowance(self, approved: bool) -> Allowance:
        return self.approved if approved else self.unapproved

    @property
    def burst_window_seconds(self) -> int:
        return self.burst_minutes * MINUTE


def budget_key(business_id: int, window: str) -> str:
    """The counter of one business's budget in one kind of window (``minute``, ``day``)."""
    return f"budget:{business_id}:{window}"


def burst_key(business_id: int) -> str:
    return f"nomatch:{business_id}"


def is_burst_start(before: int, after: int, threshold: int) -> bool:
    """Whether the no-matches counted in a window just reached the threshold (so a burst is
    told once per window, by whichever check crossed it, not by every check after)."""
    return before < threshold <= after


def spent_message(
    allowance: Allowance, window: str, approved: bool, asked: int = 1, left: int = 0
) -> str:
    """Why a business's check was refused, in words a business admin can act on."""
    limit = allowance.per_minute if window == "minute" else allowance.per_day
    what = "a minute" if window == "minute" else "a day"
    if asked > 1:
        text = (
            f"{asked:,} checks asked at once, and your business has {max(0, left):,} left of "
            f"its allowance of {limit:,} {what}"
        )
    else:
        text = f"your business has used its allowance of {limit:,} checks {what}"
    if window == "minute":
        text += ": wait a minute and try again"
    else:
        text += ": it starts again at midnight UTC"
    if not approved:
        text += (
            ". A newly registered business has a small allowance until the hub approves it: "
            "ask the hub to approve your business"
        )
    return text
