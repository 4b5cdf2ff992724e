"""Eligibility: which card a person may hold, decided by requirements with reasons.

A requirement is a small tree: a qualification, an HSE pass, CPD hours or an institute
membership at the leaves; ``all of``, ``any of`` and ``n of`` above them. Evaluating it against
what a person holds (a ``HolderFacts``) gives every reason, met and unmet, so an applicant sees
a checklist ("needs AM2", "HSE pass expired 1 March 2025") rather than a bare "no".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HeldFact:
    """A qualification as the rules see it: declared by the holder, verified, or rejected."""

    code: str
    state: str = "verified"  # "declared", "verified" or "rejected"


@dataclass(frozen=True)
class MembershipFact:
    institute_code: str
    grade: str
    verified: bool
    lapsed_on: dt.date | None = None


@dataclass(frozen=True)
class HolderFacts:
    """Everything the rules read about one person, on one day."""

    qualifications: tuple[HeldFact, ...] = ()
    hse_passes: tuple[tuple[dt.date, dt.date], ...] = ()  # (passed_on, valid_until)
    cpd_hours_last_12_months: float = 0.0
    memberships: tuple[MembershipFact, ...] = ()

    def qualification_state(self, code: str) -> str | None:
        """The best state the person has this qualification in, if any."""
        states = {held.state for held in self.qualifications if held.code == code}
        for best in ("verified", "declared", "rejected"):
            if best in states:
                return best
        return None


@dataclass(frozen=True)
class Reason:
    met: bool
    text: str
    pending: bool = False  # declared by the holder but not yet verified by the scheme


@dataclass(frozen=True)
class Decision:
    rule: str
    title: str
    card_type: str
    eligible: bool
    reasons: tuple[Reason, ...]

    @property
    def unmet(self) -> list[str]:
        return [r.text for r in self.reasons if not r.met]


@dataclass(frozen=True)
class Context:
    """What a leaf needs to explain itself: the day, and names for codes."""

    today: dt.date
    qualification_titles: dict[str, str] = field(default_factory=dict)
    institute_grades: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def title(self, code: str) -> str:
        return self.qualification_titles.get(code, code)


def _long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


class Requirement:
    """One node of a rule; ``check`` answers (met, reasons)."""

    def check(self, facts: HolderFacts, ctx: Context) -> tuple[bool, list[Reason]]:
        raise NotImplementedError

    def qualification_codes(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class HasQualification(Requirement):
    code: str

    def check(self, facts: HolderFacts, ctx: Context) -> tuple[bool, list[Reason]]:
        state = facts.qualification_state(self.code)
        name = ctx.title(self.code)
        if state == "verified":
            return True, [Reason(True, f"has {name}")]
        if state == "declared":
            return False, [Reason(False, f"{name}: declared, waiting to be verified", True)]
        if state == "rejected":
            return False, [Reason(False, f"needs {name} (the certificate given was rejected)")]
        return False, [Reason(False, f"needs {name}")]

    def qualification_codes(self) -> set[str]:
        return {self.code}


@dataclass(frozen=True)
class HsePass(Requirement):
    within_years: int = 2

    def _counts_until(self, passed_on: dt.date, valid_until: dt.date) -> dt.date:
        try:
            limit = passed_on.replace(year=passed_on.year + self.within_years)
        except ValueError:  # 29 February
            limit = passed_on.replace(year=passed_on.year + self.within_years, day=28)
        return min(valid_until, limit)

    def check(self, facts: HolderFacts, ctx: Context) -> tuple[bool, list[Reason]]:
        if not facts.hse_passes:
            return False, [Reason(False, "needs an HSE test pass (taken within the last 2 years)")]
        until = max(self._counts_until(p, v) for p, v in facts.hse_passes)
        if until >= ctx.today:
            return True, [Reason(True, f"HSE test pass, valid until {_long(until)}")]
        return False, [Reason(False, f"HSE pass expired {until.isoformat()}: take the test again")]


@dataclass(frozen=True)
class CpdHours(Requirement):
    hours: float

    def check(self, facts: HolderFacts, ctx: Context) -> tuple[bool, list[Reason]]:
        have = facts.cpd_hours_last_12_months
        if have >= self.hours:
            return True, [Reason(True, f"{have:g} hours of CPD in the last 12 months")]
        return False, [
            Reason(
                False,
                f"needs {self.hours:g} hours of CPD in the last 12 months "
                f"(has {have:g}; {self.hours - have:g} to go)",
            )
        ]


@dataclass(frozen=True)
class InstituteMembership(Requirement):
    """Current, verified membership of a recognised institute at a qualifying grade."""

    institutes: tuple[str, ...] = ()  # empty: any recognised institute

    def check(self, facts: HolderFacts, ctx: Context) -> tuple[bool, list[Reason]]:
        allowed = set(self.institutes) or set(ctx.institute_grades)
        best: Reason | None = None
        for m in facts.memberships:
            if m.institute_code not in allowed:
                continue
            grades = ctx.institute_grades.get(m.institute_code, ())
            name = f"{m.institute_code} membership ({m.grade})"
            if m.lapsed_on and m.lapsed_on <= ctx.today:
                best = best or Reason(False, f"{name} lapsed {m.lapsed_on.isoformat()}")
            elif grades and m.grade not in grades:
                best = best or Reason(
                    False, f"{name}: {m.grade} is not a professionally qualified grade"
                )
            elif not m.verified:
                best = Reason(False, f"{name}: waiting to be verified", True)
            else:
                return True, [Reason(True, f"current {name}")]
        which = ", ".join(sorted(self.institutes)) if self.institutes else "a recognised institute"
        return False, [best or Reason(False, f"needs membership of {which} at a qualifying grade")]


@dataclass(frozen=True)
class AllOf(Requirement):
    parts: tuple[Requirement, ...]

    def check(self, facts: HolderFacts, ctx: Context) -> tuple[bool, list[Reason]]:
        met, reasons = True, list[Reason]()
        for part in self.parts:
            ok, said = part.check(facts, ctx)
            met = met and ok
            reasons.extend(said)
        return met, reasons

    def qualification_codes(self) -> set[str]:
        return set().union(*(p.qualification_codes() for p in self.parts))


@dataclass(frozen=True)
class NOf(Requirement):
    """At least ``n`` of the parts (``any of`` is ``n = 1``)."""

    n: int
    parts: tuple[Requirement, ...]

    def check(self, facts: HolderFacts, ctx: Context) -> tuple[bool, list[Reason]]:
        results = [part.check(facts, ctx) for part in self.parts]
        count = sum(1 for ok, _ in results if ok)
        if count >= self.n:
            return True, [r for ok, said in results if ok for r in said][: max(self.n, 1) * 4]
        pending = any(r.pending for _, said in results for r in said)
        options = "; ".join(r.text.removeprefix("needs ") for _, said in results for r in said)
        need = "one of" if self.n == 1 else f"{self.n} of"
        return False, [Reason(False, f"needs {need}: {options}", pending)]

    def qualification_codes(self) -> set[str]:
        return set().union(*(p.qualification_codes() for p in self.parts))


@dataclass(frozen=True)
class Rule:
    """What one occupation (leading to one card type) requires."""

    name: str
    title: str
    scheme: str
    card_type: str
    requirement: Requirement
    source: str = ""  # "file, line" it was read from, for messages

    def evaluate(self, facts: HolderFacts, ctx: Context) -> Decision:
        met, reasons = self.requirement.check(facts, ctx)
        return Decision(self.name, self.title, self.card_type, met, tuple(reasons))
