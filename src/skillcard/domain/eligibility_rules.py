"""Reading eligibility rules from their TOML text, with the file, line and reason of any fault.

A scheme's rules file (``data/rules/ecs.toml``) names reusable ``parts`` and, per occupation,
what it requires. A requirement is a qualification code (a string), or a table with exactly
one of these keys::

    all_of = [...]            every one of the list
    any_of = [...]            at least one
    n_of = [...], n = 2       at least n
    hse_pass = { within_years = 2 }
    cpd_hours = 30            in the last 12 months
    membership = "any"        or a list of institute codes; current, verified, qualifying grade
    part = "NAME"             a named part of the same file

Nothing here reads a file: the caller passes the text, so the domain stays pure.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any, NoReturn

from skillcard.domain.eligibility import (
    AllOf,
    CpdHours,
    HasQualification,
    HsePass,
    InstituteMembership,
    NOf,
    Requirement,
    Rule,
)
from skillcard.errors import ReferenceDataError

KINDS = ("all_of", "any_of", "n_of", "hse_pass", "cpd_hours", "membership", "part")
OCCUPATION_KEYS = {"title", "card_type", "note"}
_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_CODE = re.compile(r"^[A-Z0-9_]{1,60}$")


@dataclass(frozen=True)
class Known:
    """The codes a rules file may name, from the reference data."""

    qualifications: frozenset[str]
    institutes: frozenset[str] = frozenset()
    card_types: frozenset[str] | None = None  # "SCHEME:CODE"; None: not checked


class _Reader:
    def __init__(self, filename: str, text: str, known: Known) -> None:
        self.filename, self.known = filename, known
        self.lines = text.splitlines()
        self.parts_raw: dict[str, Any] = {}
        self.parts: dict[str, Requirement] = {}

    def fail(self, line: int, reason: str) -> NoReturn:
        raise ReferenceDataError(self.filename, line, reason)

    def header_line(self, section: str, name: str) -> int:
        wanted = re.compile(rf"^\s*\[\s*{section}\s*\.\s*\"?{re.escape(name)}\"?\s*\]")
        for number, line in enumerate(self.lines, 1):
            if wanted.match(line):
                return number
        return 1

    def token_line(self, start: int, token: str) -> int:
        """The first line at or after ``start`` that mentions ``token`` (for a pointed message)."""
        for number in range(start, len(self.lines) + 1):
            if re.search(rf"(?<![A-Z0-9_]){re.escape(token)}(?![A-Z0-9_])", self.lines[number - 1]):
                return number
        return start

    # -- building requirements ------------------------------------------------------------
    def node(self, spec: object, line: int, stack: tuple[str, ...]) -> Requirement:
        if isinstance(spec, str):
            code = spec.strip().upper()
            if code not in self.known.qualifications:
                self.fail(self.token_line(line, spec), f"unknown qualification {spec!r}")
            return HasQualification(code)
        if not isinstance(spec, dict):
            self.fail(line, f"a requirement is a qualification code or a table, not {spec!r}")
        kinds = [k for k in spec if k in KINDS]
        extra = set(spec) - set(KINDS) - OCCUPATION_KEYS - {"n"}
        if extra:
            bad = sorted(extra)[0]
            self.fail(self.token_line(line, bad), f"unknown key {bad!r}; use one of {KINDS}")
        if len(kinds) != 1:
            self.fail(line, f"a requirement needs exactly one of {', '.join(KINDS)}")
        kind = kinds[0]
        value = spec[kind]
        if kind in ("all_of", "any_of", "n_of"):
            if not isinstance(value, list) or not value:
                self.fail(self.token_line(line, kind), f"{kind} needs a non-empty list")
            parts = tuple(self.node(item, line, stack) for item in value)
            if kind == "all_of":
                return AllOf(parts)
            n = 1 if kind == "any_of" else spec.get("n")
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= len(parts):
                self.fail(self.token_line(line, "n_of"), f"n_of needs n between 1 and {len(parts)}")
            return NOf(n, parts)
        if kind == "hse_pass":
            years = value.get("within_years", 2) if isinstance(value, dict) else 2
            if value is False or not isinstance(years, int) or not 1 <= years <= 10:
                self.fail(self.token_line(line, kind), "hse_pass within_years is 1 to 10")
            return HsePass(years)
        if kind == "cpd_hours":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 < value < 1000
            ):
                self.fail(self.token_line(line, kind), "cpd_hours is a number of hours, 1 to 999")
            return CpdHours(float(value))
        if kind == "membership":
            if value == "any":
                return InstituteMembership(())
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.fail(self.token_line(line, kind), 'membership is "any" or institute codes')
            codes = tuple(v.strip().upper() for v in value)
            for code in codes:
                if self.known.institutes and code not in self.known.institutes:
                    self.fail(self.token_line(line, code), f"unknown institute {code!r}")
            return InstituteMembership(codes)
        return self.part(value, line, stack)

    def part(self, name: object, line: int, stack: tuple[str, ...]) -> Requirement:
        if not isinstance(name, str) or name not in self.parts_raw:
            self.fail(self.token_line(line, str(name)), f"no part named {name!r} in this file")
        if name in stack:
            cycle = " -> ".join((*stack[stack.index(name) :], name))
            self.fail(
                self.header_line("parts", name), f"parts refer to each other in a cycle: {cycle}"
            )
        if name not in self.parts:
            start = self.header_line("parts", name)
            self.parts[name] = self.node(self.parts_raw[name], start, (*stack, name))
        return self.parts[name]


def parse_rules(filename: str, text: str, known: Known) -> list[Rule]:
    """Every occupation's rule in one scheme's file; ReferenceDataError at the first fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _AT_LINE.search(str(error))
        line = int(found.group(1)) if found else 1
        if "(at end of document)" in str(error):  # an unclosed list or table: the last line
            line = max(1, len(text.splitlines()))
        reason = _AT_LINE.sub("", str(error)).replace("(at end of document)", "").strip()
        raise ReferenceDataError(filename, line, reason or "not valid TOML") from None
    reader = _Reader(filename, text, known)
    scheme = data.get("scheme")
    if not isinstance(scheme, str) or not scheme.strip():
        reader.fail(1, 'the file needs scheme = "CODE" at the top')
    unknown = set(data) - {"scheme", "parts", "occupations"}
    if unknown:
        bad = sorted(unknown)[0]
        reader.fail(reader.token_line(1, bad), f"unknown section {bad!r}")
    reader.parts_raw = data.get("parts", {})
    for name in reader.parts_raw:  # every part is checked, even one no occupation uses yet
        reader.part(name, reader.header_line("parts", name), ())
    rules = []
    for name, spec in data.get("occupations", {}).items():
        line = reader.header_line("occupations", name)
        if not _CODE.match(name):
            reader.fail(line, f"occupation codes are capital letters, digits and _: {name!r}")
        if not isinstance(spec, dict):
            reader.fail(line, f"occupation {name} must be a table")
        card_type = str(spec.get("card_type", name)).upper()
        scheme_code = scheme.strip().upper()
        if known.card_types is not None and f"{scheme_code}:{card_type}" not in known.card_types:
            reader.fail(
                reader.token_line(line, card_type),
                f"{scheme_code} has no card type {card_type!r}",
            )
        requirement = reader.node(spec, line, ())
        rules.append(
            Rule(
                name=name,
                title=str(spec.get("title", name.replace("_", " ").title())),
                scheme=scheme.strip().upper(),
                card_type=card_type,
                requirement=requirement,
                source=f"{filename}, line {line}",
            )
        )
    return rules


class RuleBook:
    """Every scheme's rules, found by occupation or by the card type they lead to."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._by_name = {(r.scheme, r.name): r for r in rules}

    def find(self, scheme: str, code: str) -> Rule | None:
        scheme, code = scheme.strip().upper(), code.strip().upper()
        found = self._by_name.get((scheme, code))
        if found:
            return found
        return next((r for r in self.rules if r.scheme == scheme and r.card_type == code), None)

    def of_scheme(self, scheme: str) -> list[Rule]:
        return [r for r in self.rules if r.scheme == scheme.strip().upper()]
