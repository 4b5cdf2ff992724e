"""Eligibility: load the rule files, gather what a person holds, and decide with reasons."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from skillcard.domain.accounts import Principal, Role, can_view_cardholder
from skillcard.domain.cpd import hours_in_last_12_months
from skillcard.domain.eligibility import Context, Decision, HeldFact, HolderFacts, MembershipFact
from skillcard.domain.eligibility_rules import Known, RuleBook, parse_rules
from skillcard.domain.qualification_reviews import REJECTED
from skillcard.errors import NotFound
from skillcard.services.clock import card_today
from skillcard.services.registry.reference_data import DATA_DIRECTORY, read_reference_data
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork

RULES_DIRECTORY = DATA_DIRECTORY / "rules"


def known_codes() -> Known:
    data = read_reference_data()
    return Known(
        qualifications=frozenset(q.code for q in data.qualifications),
        institutes=frozenset(i.code for i in data.institutes),
        card_types=frozenset(f"{scheme}:{card_type.code}" for scheme, card_type in data.card_types),
    )


def load_rule_book(directory: Path | str | None = None, known: Known | None = None) -> RuleBook:
    """Every ``*.toml`` file in ``directory``; ReferenceDataError (file, line, reason) at the
    first fault, so a broken edit is refused before it decides anyone's card."""
    directory = Path(directory) if directory is not None else RULES_DIRECTORY
    known = known or known_codes()
    rules = []
    for path in sorted(directory.glob("*.toml")):
        rules.extend(parse_rules(path.name, path.read_text(encoding="utf-8"), known))
    return RuleBook(rules)


@lru_cache(maxsize=1)
def shipped_rule_book() -> RuleBook:
    return load_rule_book()


def context(uow: AbstractUnitOfWork, today: dt.date) -> Context:
    return Context(
        today=today,
        qualification_titles={q.code: q.title for q in uow.reference.qualifications()},
        institute_grades={i.code: i.qualifying_grades for i in uow.reference.institutes()},
    )


def holder_facts(uow: AbstractUnitOfWork, cardholder_id: int, today: dt.date) -> HolderFacts:
    """What the rules read about one holder, from the database, inside the caller's uow."""
    held = uow.cardholders.qualifications_of(cardholder_id)
    reviews = uow.qualification_reviews.for_held([h.id for h in held])
    quals = []
    for h in held:
        review = reviews.get(h.id)
        if h.verified:
            state = "verified"
        elif review is not None and review.state == REJECTED:
            state = "rejected"
        else:
            state = "declared"
        quals.append(HeldFact(h.qualification_code, state))
    hse = tuple((r.passed_on, r.valid_until) for r in uow.hse_records.of_cardholder(cardholder_id))
    since = today - dt.timedelta(days=366)
    cpd = hours_in_last_12_months(uow.cpd.of_cardholder(cardholder_id, since=since), today)
    memberships = tuple(
        MembershipFact(m.institute_code, m.grade, m.verified, m.lapsed_on)
        for m in uow.cardholders.memberships_of(cardholder_id)
    )
    return HolderFacts(tuple(quals), hse, cpd, memberships)


def may_see_eligibility(uow: AbstractUnitOfWork, who: Principal, cardholder_id: int) -> bool:
    if who.role == Role.ASSESSOR:
        return who.scheme_id in uow.cards.scheme_ids_of_cardholder(cardholder_id)
    schemes = uow.cards.scheme_ids_of_cardholder(cardholder_id)
    return can_view_cardholder(who, cardholder_id, schemes)


def decide(
    uow: AbstractUnitOfWork,
    *,
    cardholder_id: int,
    scheme_code: str,
    code: str,
    today: dt.date,
    book: RuleBook | None = None,
) -> Decision:
    """The decision for one holder and one occupation (or card type), inside the caller's uow."""
    scheme = scheme_named(uow, scheme_code)
    rule = (book or shipped_rule_book()).find(scheme.code, code)
    if rule is None:
        raise NotFound(f"{scheme.code} has no eligibility rule for {code!r}")
    return rule.evaluate(holder_facts(uow, cardholder_id, today), context(uow, today))


def check_eligibility(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    cardholder_id: int,
    scheme_code: str,
    code: str,
    today: dt.date | None = None,
    book: RuleBook | None = None,
) -> Decision:
    """May this holder hold the card of this occupation (or card type)? Every reason, met and
    unmet. A holder asks for themselves; a scheme's staff for their holders."""
    day = today or card_today()
    with uow:
        holder = uow.cardholders.get(cardholder_id)
        if holder is None or not may_see_eligibility(uow, who, cardholder_id):
            raise NotFound(f"no cardholder {cardholder_id} that you can see")
        return decide(
            uow,
            cardholder_id=cardholder_id,
            scheme_code=scheme_code,
            code=code,
            today=day,
            book=book,
        )


def rules_of_scheme(*, scheme_code: str, book: RuleBook | None = None) -> list[Any]:
    """The occupations a scheme has rules for (what one may apply for)."""
    return (book or shipped_rule_book()).of_scheme(scheme_code)
