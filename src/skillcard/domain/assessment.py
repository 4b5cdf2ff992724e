"""The HSE assessment: its settings, the item bank, drawing a form and scoring it.

Everything a scheme may change (question count, pass mark, topic counts, time, validity,
violation policy...) is data in :class:`AssessmentSettings`, stored with the assessment, never
a constant here. A form is drawn from a seed that is stored with the attempt, so the same bank
and the same seed always give the same questions in the same order with the same options.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.stored import UNSAVED
from skillcard.errors import Conflict, InvalidInput

OPTION_LETTERS = "ABCDEFGH"

# The assessment as the schemes run it: 50 questions from 11 topics, 43 to pass, 30 minutes.
DEFAULT_TOPICS: dict[str, tuple[str, int]] = {
    "general_safety": ("General health and safety at work", 6),
    "manual_handling": ("Manual handling", 4),
    "reporting_accidents": ("Reporting accidents and incidents", 3),
    "ppe": ("Personal protective equipment", 4),
    "health_hygiene": ("Health and hygiene", 3),
    "fire_emergency": ("Fire and emergency procedures", 9),
    "work_at_height": ("Working at height", 5),
    "work_equipment": ("Work equipment and vehicles", 4),
    "special_hazards": ("Special site hazards", 3),
    "hazardous_substances": ("Hazardous substances", 4),
    "environment": ("Environmental awareness and waste", 5),
}


class ViolationPolicy(enum.StrEnum):
    FAIL = "fail"  # a violation ends the attempt as a fail
    FLAG = "flag"  # a violation is flagged for the invigilator to weigh


@dataclass(frozen=True)
class AssessmentSettings:
    question_count: int = 50
    options: int = 4
    duration_minutes: int = 30
    pass_mark: int = 43
    topics: dict[str, int] = field(
        default_factory=lambda: {code: count for code, (_t, count) in DEFAULT_TOPICS.items()}
    )
    topic_titles: dict[str, str] = field(
        default_factory=lambda: {code: title for code, (title, _c) in DEFAULT_TOPICS.items()}
    )
    validity_years: int = 2
    violation_policy: str = ViolationPolicy.FLAG.value
    snapshot_seconds: int = 60
    attention_seconds: int = 10
    attention_every_seconds: int = 300
    languages: tuple[str, ...] = ("en",)
    max_extra_minutes: int = 60

    def __post_init__(self) -> None:
        if sum(self.topics.values()) != self.question_count:
            raise InvalidInput(
                f"the topic counts add up to {sum(self.topics.values())}, "
                f"not the {self.question_count} questions of the assessment"
            )
        if not 0 < self.pass_mark <= self.question_count:
            raise InvalidInput("the pass mark must be between 1 and the number of questions")
        if not 2 <= self.options <= len(OPTION_LETTERS):
            raise InvalidInput("a question has between 2 and 8 options")
        if self.duration_minutes < 1 or self.validity_years < 1:
            raise InvalidInput("the duration and the validity must be positive")
        if self.violation_policy not in {p.value for p in ViolationPolicy}:
            raise InvalidInput("the violation policy is fail or flag")
        if any(count < 0 for count in self.topics.values()):
            raise InvalidInput("a topic count cannot be negative")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["languages"] = list(self.languages)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssessmentSettings:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "languages" in known:
            known["languages"] = tuple(known["languages"])
        return cls(**known)

    def title_of(self, topic: str) -> str:
        return self.topic_titles.get(topic, topic.replace("_", " ").capitalize())

    def valid_until(self, passed_on: dt.date) -> dt.date:
        try:
            return passed_on.replace(year=passed_on.year + self.validity_years)
        except ValueError:  # 29 February: the pass lasts to 28 February
            return passed_on.replace(year=passed_on.year + self.validity_years, day=28)


@dataclass(eq=False)
class Assessment:
    """An assessment a scheme runs, its settings stored as data with it."""

    code: str
    title: str
    settings_data: dict[str, Any]
    id: int = UNSAVED

    @property
    def settings(self) -> AssessmentSettings:
        return AssessmentSettings.from_dict(self.settings_data)


class ItemStatus(enum.StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    RETIRED = "retired"


@dataclass(eq=False)
class Item:
    """One question, one version of it. Editing a live item makes a new version; an attempt
    keeps the version (the row) it was given."""

    code: str
    version: int
    topic: str
    stem: str
    options: list[str]
    key: int  # index into options of the correct answer
    explanation: str = ""
    status: str = ItemStatus.DRAFT.value
    language: str = "en"
    id: int = UNSAVED

    def __post_init__(self) -> None:
        self.code = (self.code or "").strip()
        self.stem = " ".join((self.stem or "").split())
        self.options = [" ".join(str(o).split()) for o in self.options]
        if not self.code or len(self.code) > 60:
            raise InvalidInput("an item needs a code of at most 60 characters")
        if not self.stem or len(self.stem) > 2000:
            raise InvalidInput(
                f"item {self.code}: a question needs a stem (at most 2000 chars)", field="stem"
            )
        if len(self.options) < 2 or any(not o or len(o) > 500 for o in self.options):
            raise InvalidInput(
                f"item {self.code}: every option needs text (at most 500 chars)", field="options"
            )
        if len(set(self.options)) != len(self.options):
            raise InvalidInput(f"item {self.code}: two options say the same thing", field="options")
        if not 0 <= self.key < len(self.options):
            raise InvalidInput(f"item {self.code}: the key is not one of the options", field="key")
        if self.status not in {s.value for s in ItemStatus}:
            raise InvalidInput(
                f"item {self.code}: status is draft, live or retired", field="status"
            )
        if self.version < 1:
            raise InvalidInput(f"item {self.code}: versions start at 1")

    def content(self) -> tuple[object, ...]:
        """What makes two versions the same question (for round trips and edits)."""
        return (self.code, self.topic, self.stem, tuple(self.options), self.key, self.explanation)

    def revised(self, **changes: Any) -> Item:
        """The next version with ``changes``; the caller retires this one if it was live."""
        data: dict[str, Any] = {
            "code": self.code,
            "version": self.version + 1,
            "topic": self.topic,
            "stem": self.stem,
            "options": list(self.options),
            "key": self.key,
            "explanation": self.explanation,
            "status": self.status,
            "language": self.language,
        }
        data.update(changes)
        return Item(**data)


@dataclass(frozen=True)
class FormEntry:
    item_id: int
    order: tuple[int, ...]  # order[i] = the stored option shown in place i


def draw_form(seed: int, live_items: list[Item], settings: AssessmentSettings) -> list[FormEntry]:
    """The questions of one attempt: ``settings.topics[t]`` items of each topic, in a shuffled
    order, each with its options shuffled. The same seed and bank give the same form."""
    rng = random.Random(seed)
    by_topic: dict[str, list[Item]] = {}
    for item in sorted(live_items, key=lambda i: (i.code, i.version)):
        by_topic.setdefault(item.topic, []).append(item)
    chosen: list[Item] = []
    for topic in sorted(settings.topics):
        wanted = settings.topics[topic]
        pool = by_topic.get(topic, [])
        if len(pool) < wanted:
            raise Conflict(
                f"the bank has {len(pool)} live items on {settings.title_of(topic)}, "
                f"the assessment needs {wanted}"
            )
        chosen.extend(rng.sample(pool, wanted))
    rng.shuffle(chosen)
    form = []
    for item in chosen:
        order = list(range(len(item.options)))
        rng.shuffle(order)
        form.append(FormEntry(item_id=item.id, order=tuple(order)))
    return form


@dataclass(frozen=True)
class TopicScore:
    topic: str
    title: str
    correct: int
    asked: int

    @property
    def share(self) -> float:
        return self.correct / self.asked if self.asked else 1.0


@dataclass(frozen=True)
class Score:
    correct: int
    out_of: int
    pass_mark: int
    by_topic: tuple[TopicScore, ...]

    @property
    def passed(self) -> bool:
        return self.correct >= self.pass_mark

    def weakest(self, n: int = 3) -> list[TopicScore]:
        """The topics with the lowest share right, worst first, leaving out perfect ones."""
        weak = [t for t in self.by_topic if t.correct < t.asked]
        return sorted(weak, key=lambda t: (t.share, t.title))[:n]


def score(
    form: list[FormEntry],
    items: dict[int, Item],
    answers: dict[int, int],
    settings: AssessmentSettings,
) -> Score:
    """Mark ``answers`` (item id -> the place chosen on screen) against the stored keys."""
    tally: dict[str, list[int]] = {}
    correct = 0
    for entry in form:
        item = items[entry.item_id]
        place = answers.get(entry.item_id)
        right = place is not None and 0 <= place < len(entry.order)
        right = right and place is not None and entry.order[place] == item.key
        counts = tally.setdefault(item.topic, [0, 0])
        counts[0] += int(right)
        counts[1] += 1
        correct += int(right)
    by_topic = tuple(
        TopicScore(topic, settings.title_of(topic), c, n) for topic, (c, n) in sorted(tally.items())
    )
    return Score(correct, len(form), settings.pass_mark, by_topic)


# -- who may touch the item bank ---------------------------------------------------------------
# The bank is one, shared by every scheme's candidates, and an item has no owning scheme: a
# scheme admin who could edit it would change every other scheme's test. So only hub admins
# edit it (by any door: page, API, CLI, QTI import); scheme admins may read it.


def can_read_item_bank(who: Principal) -> bool:
    return who.is_hub_admin or who.role == Role.SCHEME_ADMIN


def can_edit_item_bank(who: Principal) -> bool:
    return who.is_hub_admin
