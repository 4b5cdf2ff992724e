"""A card's day: the one calendar every door judges a card by.

A card's dates (issued, expires, a CPD activity, a membership lapsing, an HSE pass) are days,
and which day it is at a moment is the day in UTC. Not the scheme's zone: a credential
carries its expiry as a day number that an offline checker compares with the UTC day, on a
phone in any zone, and the public check, the admin page, applications, CPD, eligibility and
the alerts must give the same answer as that checker. A card is therefore valid through its
expiry date in UTC: in British Summer Time, until 00:59:59 the next morning in London.
Times are *shown* in the UK's zone (see labels.py); they are *judged* by this calendar.
"""

from __future__ import annotations

import datetime as dt


def card_day(moment: dt.datetime) -> dt.date:
    """The day a card is judged on at ``moment`` (which must say its zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment needs its time zone to fall on a card's day")
    return moment.astimezone(dt.UTC).date()


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` on the cards' calendar (a period of days runs from the
    start of its first day to the start of the day after its last)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
