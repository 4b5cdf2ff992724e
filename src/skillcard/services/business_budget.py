"""A business's check budget, counted in one place: every door that answers "does this card
belong to this surname?" for a business (single and spot checks, offline sync, workforce
additions, bulk rows) calls :func:`spend` before it answers, and :func:`note_outcomes` once it
knows how many answers matched no card.

The counters are the rate limiter's (``rate_limit_counters`` rows, or Redis keys when
``SKILLCARD_REDIS_URL`` is set): a draw adds to the business's minute and day counters in one
statement, and takes it back if either is over its allowance, so processes never let a
business past its allowance (a draw refused near the limit may briefly refuse another).

A bulk file's rows are drawn from the day's allowance all at once when the file is accepted:
a file larger than what is left of the day is refused up front, saying how many rows are left.
They are not drawn from the minute's allowance, which paces checks asked one by one: a
50,000-row list is answered in seconds, as one request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from skillcard.domain.accounts import Principal, Role, require
from skillcard.domain.business_budget import (
    DAY,
    MINUTE,
    BudgetRules,
    budget_key,
    burst_key,
    is_burst_start,
    spent_message,
)
from skillcard.errors import NotFound, RateLimited
from skillcard.services.audit import record, utcnow
from skillcard.services.outbox import queue_email
from skillcard.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class Count:
    """Add ``amount`` to the counter ``key`` of the window starting at ``window_start``
    (epoch seconds), which lasts ``window_seconds``."""

    key: str
    window_start: int
    amount: int
    window_seconds: int


class BudgetCounter(Protocol):
    def add(self, uow: AbstractUnitOfWork, counts: Sequence[Count]) -> list[int]:
        """Add every count at once; the counters' new values, in order."""
        ...


@dataclass(frozen=True)
class Budget:
    """What a door needs to draw on a business's budget: the rules (from the settings) and
    where they are counted."""

    rules: BudgetRules
    counter: BudgetCounter


def _start(now: dt.datetime, seconds: int) -> int:
    at = int(now.timestamp())
    return at - at % seconds


def spend(
    uow: AbstractUnitOfWork,
    budget: Budget,
    business_id: int,
    amount: int = 1,
    *,
    now: dt.datetime,
    per_minute: bool = True,
) -> None:
    """Draw ``amount`` checks from the business's allowance, or :class:`RateLimited` (429)
    saying which allowance is spent (with Retry-After for the minute's). ``per_minute=False``
    for a bulk file, drawn from the day's allowance only. Called inside the door's ``with uow``,
    before it answers."""
    business = uow.businesses.get(business_id)
    if business is None:
        raise NotFound("no such business")
    allowance = budget.rules.allowance(business.approved)
    windows = [("day", DAY, allowance.per_day)]
    if per_minute:
        windows.insert(0, ("minute", MINUTE, allowance.per_minute))
    counts = [
        Count(budget_key(business_id, window), _start(now, seconds), amount, seconds)
        for window, seconds, _limit in windows
    ]
    totals = budget.counter.add(uow, counts)
    for (window, _seconds, limit), total in zip(windows, totals, strict=True):
        if total > limit:
            taken_back = [Count(c.key, c.window_start, -amount, c.window_seconds) for c in counts]
            budget.counter.add(uow, taken_back)
            left = limit - (total - amount)
            raise _refused(budget, window, business.approved, amount, left, now)


def _refused(budget: Budget, window: str, approved: bool, amount, left, now) -> RateLimited:
    allowance = budget.rules.allowance(approved)
    seconds = MINUTE if window == "minute" else DAY
    wait = max(1, _start(now, seconds) + seconds - int(now.timestamp()))
    message = spent_message(allowance, window, approved, amount, left)
    return RateLimited(message, retry_after=wait)


def note_outcomes(
    uow: AbstractUnitOfWork,
    budget: Budget,
    business_id: int,
    no_matches: int,
    *,
    who: Principal,
    now: dt.datetime,
) -> None:
    """Count a business's answers of no match; the check that makes them a burst (so many in
    the window) records ``business.no_match_burst`` and e-mails every hub admin, in the
    caller's transaction. Once per window, however many checks follow."""
    if no_matches <= 0:
        return
    rules = budget.rules
    seconds = rules.burst_window_seconds
    start = _start(now, seconds)
    count = Count(burst_key(business_id), start, no_matches, seconds)
    after = budget.counter.add(uow, [count])[0]
    if not is_burst_start(after - no_matches, after, rules.burst_no_matches):
        return
    business = uow.businesses.get(business_id)
    name = business.name if business else f"business {business_id}"
    detail = {"no_matches": after, "minutes": rules.burst_minutes, "by": who.label}
    record(uow, who, "business.no_match_burst", "business", business_id, detail=detail, now=now)
    for admin in uow.users.list():
        if admin.role != Role.HUB_ADMIN or not admin.active:
            continue
        queue_email(
            uow,
            to=admin.email,
            subject=f"Many checks matching no card from {name}",
            body=(
                f"{name} (business {business_id}) had {after:,} checks that matched no card "
                f"within {rules.burst_minutes} minutes, the last by {who.label}. Someone may be "
                "trying surnames against card numbers. Look at the business's checks in the "
                "audit log; remove its users if it is not a real employer."
            ),
            kind="business.no_match_burst",
            dedupe_key=f"no-match-burst:{business_id}:{start}:{admin.email}",
            now=now,
        )


def approve_business(
    *, uow: AbstractUnitOfWork, who: Principal, business_id: int, now: dt.datetime | None = None
) -> str:
    """The hub admin approves a business: its full allowance applies at once. Returns its
    name. Approving twice changes nothing."""
    require(who.is_hub_admin, "approve businesses")
    now = now or utcnow()
    with uow:
        business = uow.businesses.get(business_id)
        if business is None:
            raise NotFound(f"there is no business {business_id}")
        if not business.approved:
            business.approved = True
            record(uow, who, "business.approve", "business", business_id, now=now)
            uow.commit()
        return business.name


def businesses_for_approval(*, uow: AbstractUnitOfWork, who: Principal) -> list:
    """Every business for the hub admin, those waiting for approval first."""
    require(who.is_hub_admin, "see the businesses waiting for approval")
    with uow:
        return uow.businesses.waiting_first()
