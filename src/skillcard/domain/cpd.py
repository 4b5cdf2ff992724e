"""CPD: continuing professional development records, their evidence and progress to a target.

A record is self-declared by its holder until an assessor verifies it. Hours are kept as whole
minutes, so sums are exact on every database.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from skillcard.domain.calendar import card_day
from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput


class CpdType(enum.StrEnum):
    TRAINING_COURSE = "training_course"
    WORK_EXPERIENCE = "work_experience"
    ACADEMIC_STUDY = "academic_study"
    VOLUNTEERING = "volunteering"
    EVENT_OR_WEBINAR = "event_or_webinar"
    SELF_STUDY = "self_study"
    TOOLBOX_TALK = "toolbox_talk"
    SITE_INDUCTION = "site_induction"

    @property
    def label(self) -> str:
        return TYPE_LABELS[self]


TYPE_LABELS = {
    CpdType.TRAINING_COURSE: "Training course",
    CpdType.WORK_EXPERIENCE: "Work experience",
    CpdType.ACADEMIC_STUDY: "Academic study",
    CpdType.VOLUNTEERING: "Volunteering",
    CpdType.EVENT_OR_WEBINAR: "Event or webinar",
    CpdType.SELF_STUDY: "Self-study",
    CpdType.TOOLBOX_TALK: "Toolbox talk",
    CpdType.SITE_INDUCTION: "Site induction",
}
SELF_DECLARED, VERIFIED = "self_declared", "verified"
MINUTES_A_DAY = 24 * 60


def hours_to_minutes(hours: float | str) -> int:
    """Hours as typed (``1.5``, ``"2"``) in whole minutes; refused if not a real amount."""
    try:
        value = float(str(hours).strip())
    except ValueError:
        raise InvalidInput(f"{hours!r} is not a number of hours", field="hours") from None
    if value != value or value <= 0:  # NaN, zero or negative
        raise InvalidInput("hours must be more than 0", field="hours")
    if value > 24:
        raise InvalidInput("a day has 24 hours: record at most 24 hours for one day", field="hours")
    return round(value * 60)


@dataclass(eq=False)
class CpdRecord:
    cardholder_id: int
    activity_on: dt.date
    activity_type: CpdType
    title: str
    minutes: int
    recorded_at: dt.datetime
    provider: str = ""
    learned: str = ""
    reflection: str = ""
    status: str = SELF_DECLARED
    verified_by: str = ""
    verified_at: dt.datetime | None = None
    id: int = UNSAVED

    def __post_init__(self) -> None:
        try:
            self.activity_type = CpdType(self.activity_type)
        except ValueError:
            raise InvalidInput(
                f"{self.activity_type!r} is not a kind of CPD activity", field="activity_type"
            ) from None
        self.title = " ".join((self.title or "").split())
        if not self.title:
            raise InvalidInput("give the activity a title", field="title")
        if len(self.title) > 200 or len(self.provider or "") > 200:
            raise InvalidInput(
                "the title and provider are limited to 200 characters", field="title"
            )
        if len(self.learned or "") > 4000 or len(self.reflection or "") > 4000:
            raise InvalidInput(
                "what you learned and your reflection are limited to 4000 characters",
                field="learned",
            )
        if not 0 < self.minutes <= MINUTES_A_DAY:
            raise InvalidInput(
                "hours must be more than 0 and at most 24 for one day", field="hours"
            )
        if self.activity_on > card_day(self.recorded_at):
            raise InvalidInput(
                "the activity's date is in the future: record it once it is done",
                field="activity_on",
            )
        if self.activity_on < dt.date(1950, 1, 1):
            raise InvalidInput("the activity's date is too far in the past", field="activity_on")

    @property
    def hours(self) -> float:
        return self.minutes / 60

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    def verify(self, by: str, now: dt.datetime) -> None:
        if self.verified:
            return
        self.status, self.verified_by, self.verified_at = VERIFIED, by, now


def check_day_total(existing_minutes: int, new_minutes: int, day: dt.date) -> None:
    """No one learns more than 24 hours in a day, whatever the number of entries."""
    if existing_minutes + new_minutes > MINUTES_A_DAY:
        left = max(0, MINUTES_A_DAY - existing_minutes) / 60
        raise InvalidInput(
            f"you already have {existing_minutes / 60:g} hours on {day.isoformat()}: "
            f"at most {left:g} more hours fit in that day",
            field="hours",
        )


@dataclass(frozen=True)
class Progress:
    year: int
    target_hours: float
    hours: float
    verified_hours: float
    by_month: tuple[float, ...]  # 12 values, January first
    by_type: tuple[tuple[str, float], ...]  # (label, hours), most first

    @property
    def percent(self) -> int:
        if self.target_hours <= 0:
            return 100
        return min(100, round(100 * self.hours / self.target_hours))

    @property
    def to_go(self) -> float:
        return max(0.0, self.target_hours - self.hours)


def progress(records: Iterable[CpdRecord], year: int, target_hours: float) -> Progress:
    months = [0] * 12
    types: dict[str, int] = {}
    total = verified = 0
    for r in records:
        if r.activity_on.year != year:
            continue
        months[r.activity_on.month - 1] += r.minutes
        label = CpdType(r.activity_type).label
        types[label] = types.get(label, 0) + r.minutes
        total += r.minutes
        verified += r.minutes if r.verified else 0
    return Progress(
        year=year,
        target_hours=target_hours,
        hours=total / 60,
        verified_hours=verified / 60,
        by_month=tuple(m / 60 for m in months),
        by_type=tuple(sorted(((k, v / 60) for k, v in types.items()), key=lambda kv: -kv[1])),
    )


def hours_in_last_12_months(records: Iterable[CpdRecord], today: dt.date) -> float:
    since = today - dt.timedelta(days=365)
    return sum(r.minutes for r in records if since < r.activity_on <= today) / 60


# -- evidence ----------------------------------------------------------------------------------
EVIDENCE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/heic"}


@dataclass(eq=False)
class EvidenceFile:
    """A file a holder gave as evidence (CPD, a certificate, an application), stored by hash."""

    cardholder_id: int
    sha256: str
    media_type: str
    size: int
    filename: str
    uploaded_at: dt.datetime
    cpd_record_id: int | None = None
    application_id: int | None = None
    held_qualification_id: int | None = None
    id: int = UNSAVED
