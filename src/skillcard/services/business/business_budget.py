"""A business's check budget, counted in one place: every door that answers "does this card
belong to this surname?" for a business (single and spot checks, offline sync, workforce
additions, bulk rows) calls :func:`spend` before it answers, and :func:`note_outcomes` once it
knows how many answers matched no card.

The counters are the rate limiter's (``rate_limit_counters`` rows, or Redis keys when
``SKILLCARD_REDIS_URL`` is set): a draw adds to the business's minute and day counters in one
statement, and takes it back if either is over its allowance, so processes never let a
business past its allowance (a draw refused near the limit may briefly refuse another).

The budget is not on the ``limits`` library, as the rate limits in Redis are
(``adapters/rate_limits.py``): it is what a business may do and the record of what it did,
not a guard against floods. A draw adds to a minute and a day at once and is taken back if
either is over; a bulk file draws thousands of rows in one go; no-matches are counted apart
and a burst of them is told to hub admins; a process leases checks ahead. ``limits`` counts
one window per hit and has no SQL storage, so the budget keeps its own counters. When Redis
is down it is answered as a public check is (fails open, logged).

A bulk file's rows are drawn from the day's allowance all at once when the file is accepted:
a file larger than what is left of the day is refused up front, saying how many rows are left.
They are not drawn from the minute's allowance, which paces checks asked one by one: a
50,000-row list is answered in seconds, as one request.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

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
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.unit_of_work import AbstractUnitOfWork

LEASE_SHARE = 50  # a process takes at most this share of a minute's allowance ahead
BURST_SHARE = 10  # and counts no-matches in batches of this share of a burst


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

    def when_counted(self, uow: AbstractUnitOfWork, then: Callable[[], None]) -> None:
        """Call ``then`` once the counts added so far stand: at once where they are committed
        on their own (Redis, PostgreSQL's autocommit connection), else when the caller's
        transaction commits (SQLite's, which a rollback would take them back with)."""
        ...


@dataclass(frozen=True)
class Budget:
    """What a door needs to draw on a business's budget: the rules (from the settings), where
    they are counted, and this process's lease of checks taken ahead (see :func:`spend`)."""

    rules: BudgetRules
    counter: BudgetCounter
    _leases: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)
    _pending: dict[tuple[int, int], int] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def use_lease(self, business_id: int, minute: int) -> tuple[bool, tuple[int, int] | None]:
        """(whether one check was taken from this process's lease for the business's minute,
        and an earlier minute's lease's unused checks to give back to their day: (day, n))."""
        with self._lock:
            lease = self._leases.get(business_id)
            if lease is None:
                return False, None
            if lease[0] == minute:
                if lease[2] > 0:
                    lease[2] -= 1
                    return True, None
                return False, None
            del self._leases[business_id]
            return False, ((lease[1], lease[2]) if lease[2] else None)

    def keep_lease(self, business_id: int, minute: int, day: int, left: int) -> None:
        with self._lock:
            self._leases[business_id] = [minute, day, left]

    def pend(self, business_id: int, window: int, count: int, batch: int) -> int:
        """Keep ``count`` no-matches until a ``batch`` of them is reached; then the batch."""
        with self._lock:
            for key in [k for k in self._pending if k[1] != window]:
                del self._pending[key]
            total = self._pending.pop((business_id, window), 0) + count
            if total < batch:
                self._pending[(business_id, window)] = total
                return 0
            return total


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
    before it answers.

    A process takes up to a fiftieth of an approved business's minute ahead (a lease, counted
    when taken, usable once the count stands) and answers from it without asking again: the
    limit is never exceeded, and a business may at worst be refused a few checks early, those
    another process took and has not used yet. A small allowance (a new business's) is counted
    check by check, exactly, so its approval applies at once."""
    minute = _start(now, MINUTE)
    single = per_minute and amount == 1
    used, unused = budget.use_lease(business_id, minute) if single else (False, None)
    if used:
        return
    if unused:  # a past minute's lease: its unused checks go back to the day (not the minute)
        day, left = unused
        budget.counter.add(uow, [Count(budget_key(business_id, "day"), day, -left, DAY)])
    approved = uow.businesses.approval(business_id)
    if approved is None:
        raise NotFound("no such business")
    allowance = budget.rules.allowance(approved)
    windows = [("day", DAY, allowance.per_day)]
    if per_minute:
        windows.insert(0, ("minute", MINUTE, allowance.per_minute))
    lease = allowance.per_minute // LEASE_SHARE
    if single and lease > 1 and _draw(uow, budget, business_id, windows, lease, now) is None:
        day = _start(now, DAY)
        keep = functools.partial(budget.keep_lease, business_id, minute, day, lease - 1)
        budget.counter.when_counted(uow, keep)  # a lease rolled back was never taken
        return
    refused = _draw(uow, budget, business_id, windows, amount, now)
    if refused is not None:
        window, left = refused
        raise _refused(budget, window, approved, amount, left, now)


def _draw(
    uow: AbstractUnitOfWork,
    budget: Budget,
    business_id: int,
    windows: list[tuple[str, int, int]],
    amount: int,
    now: dt.datetime,
) -> tuple[str, int] | None:
    """Count ``amount`` in every window; if one is over its limit, take them back and say
    which, with how many were left: ``(window, left)``; None once drawn."""
    counts = [
        Count(budget_key(business_id, window), _start(now, seconds), amount, seconds)
        for window, seconds, _limit in windows
    ]
    totals = budget.counter.add(uow, counts)
    for (window, _seconds, limit), total in zip(windows, totals, strict=True):
        if total > limit:
            taken_back = [Count(c.key, c.window_start, -amount, c.window_seconds) for c in counts]
            budget.counter.add(uow, taken_back)
            return window, limit - (total - amount)
    return None


def _refused(
    budget: Budget, window: str, approved: bool, amount: int, left: int, now: dt.datetime
) -> RateLimited:
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
    batch = rules.burst_no_matches // BURST_SHARE
    if batch > 1:  # counted a few at a time: a burst is told at most a batch per process late
        no_matches = budget.pend(business_id, start, no_matches, batch)
        if not no_matches:
            return
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


def businesses_for_approval(*, uow: AbstractUnitOfWork, who: Principal) -> list[Any]:
    """Every business for the hub admin, those waiting for approval first."""
    require(who.is_hub_admin, "see the businesses waiting for approval")
    with uow:
        return uow.businesses.waiting_first()
