"""The clock the services read "now" from: the system's, unless the caller passes another.

Services that take ``now`` (most of them) are given one by their caller; what runs on its own
(the scheduler, the offline work it drives) takes a :class:`Clock` and hands its readings on,
so a run "as on a day" or a test at 23:30 UTC sees one moment everywhere. Which *day* a moment
falls on for a card is :func:`skillcard.domain.calendar.card_day`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from skillcard.domain.calendar import card_day


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current moment, aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at one moment: a run as on a given day, or a test."""

    moment: dt.datetime

    def now(self) -> dt.datetime:
        return self.moment


SYSTEM_CLOCK: Clock = SystemClock()


def utcnow() -> dt.datetime:
    return SYSTEM_CLOCK.now()


def card_today(clock: Clock = SYSTEM_CLOCK) -> dt.date:
    """Today on the cards' calendar, by ``clock``."""
    return card_day(clock.now())
