"""Re-evaluating a whole scheme after a rule change: every holder of the scheme's active cards,
their facts read in a handful of streaming queries (never one query per holder)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, can_manage_scheme, require
from skillcard.domain.eligibility_rules import RuleBook
from skillcard.errors import NotFound
from skillcard.services.audit.audit import record
from skillcard.services.clock import card_today
from skillcard.services.jobs import ELIGIBILITY, principal_args
from skillcard.services.registry import eligibility
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class SchemeEvaluation:
    rule: str
    holders: int
    eligible: int
    unmet: Counter[str]  # reason -> how many holders lack it


def reevaluate_scheme(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    code: str,
    today: dt.date | None = None,
    book: RuleBook | None = None,
) -> SchemeEvaluation:
    """How many of the scheme's card holders meet one occupation's rule, and what the others
    lack most often: what a scheme admin wants to know before changing a rule."""
    day = today or card_today()
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_manage_scheme(who, scheme.id), f"re-evaluate {scheme.code}'s holders")
        rule = (book or eligibility.shipped_rule_book()).find(scheme.code, code)
        if rule is None:
            raise NotFound(f"{scheme.code} has no eligibility rule for {code!r}")
        ctx = eligibility.context(uow, day)
        facts = uow.scheme_facts.of_scheme(scheme.id, day)
    eligible, unmet = 0, Counter[str]()
    for holder_facts in facts.values():
        decision = rule.evaluate(holder_facts, ctx)
        if decision.eligible:
            eligible += 1
        else:
            unmet.update(decision.unmet)
    return SchemeEvaluation(rule.name, len(facts), eligible, unmet)


def queue_reevaluation(
    *, uow: AbstractUnitOfWork, who: Principal, scheme_code: str, code: str
) -> None:
    """Ask for :func:`reevaluate_scheme` as a background job (a scheme of many holders takes
    a while): who may, and whether the rule exists, are checked now; the job is queued and
    the asking audited in one transaction. The job's answer is audited too
    (``eligibility.reevaluated``, with its counts)."""
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_manage_scheme(who, scheme.id), f"re-evaluate {scheme.code}'s holders")
        if eligibility.shipped_rule_book().find(scheme.code, code) is None:
            raise NotFound(f"{scheme.code} has no eligibility rule for {code!r}")
        args = {"scheme_code": scheme.code, "code": code, "who": principal_args(who)}
        uow.jobs.enqueue(ELIGIBILITY, args)
        record(uow, who, "eligibility.reevaluate", "scheme", scheme.id, detail={"rule": code})
        uow.commit()


def reevaluate_and_record(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    who: Principal,
    scheme_code: str,
    code: str,
) -> SchemeEvaluation:
    """The job's body: the re-evaluation, its counts kept in the audit log for the asker."""
    result = reevaluate_scheme(uow=uow_factory(), who=who, scheme_code=scheme_code, code=code)
    detail = {
        "rule": result.rule,
        "holders": result.holders,
        "eligible": result.eligible,
        "unmet": dict(result.unmet.most_common(10)),
    }
    with uow_factory() as uow:
        scheme = scheme_named(uow, scheme_code)
        record(uow, who, "eligibility.reevaluated", "scheme", scheme.id, detail=detail)
        uow.commit()
    return result
