"""Re-evaluating a whole scheme after a rule change: every holder of the scheme's active cards,
their facts read in a handful of streaming queries (never one query per holder)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from skillcard.adapters.db import tables, tables_mycard
from skillcard.domain.accounts import Principal, can_manage_scheme, require
from skillcard.domain.cards import CardStatus
from skillcard.domain.eligibility import HeldFact, HolderFacts, MembershipFact
from skillcard.domain.eligibility_rules import RuleBook
from skillcard.errors import NotFound
from skillcard.services import eligibility
from skillcard.services.audit import record
from skillcard.services.clock import card_today
from skillcard.services.jobs import ELIGIBILITY, principal_args
from skillcard.services.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class SchemeEvaluation:
    rule: str
    holders: int
    eligible: int
    unmet: Counter  # reason -> how many holders lack it


def _facts_of_scheme(session, scheme_id: int, today: dt.date) -> dict[int, HolderFacts]:
    c, h = tables.cards.c, tables.held_qualifications.c
    q = tables_mycard.qualification_reviews.c
    holders = sa.select(c.cardholder_id).where(
        c.scheme_id == scheme_id, c.status == CardStatus.ACTIVE
    )
    ids = set(session.scalars(holders.distinct()))
    quals: dict[int, list[HeldFact]] = defaultdict(list)
    rows = session.execute(
        sa.select(h.cardholder_id, h.qualification_code, h.verified, q.state)
        .outerjoin(tables_mycard.qualification_reviews, q.held_qualification_id == h.id)
        .where(h.cardholder_id.in_(holders))
        .execution_options(yield_per=10_000)
    )
    for holder, code, verified, review in rows:
        state = "verified" if verified else ("rejected" if review == "rejected" else "declared")
        quals[holder].append(HeldFact(code, state))
    hse: dict[int, list] = defaultdict(list)
    e = tables.hse_records.c
    for holder, passed, until in session.execute(
        sa.select(e.cardholder_id, e.passed_on, e.valid_until).where(e.cardholder_id.in_(holders))
    ):
        hse[holder].append((passed, until))
    r = tables_mycard.cpd_records.c
    since = today - dt.timedelta(days=365)
    cpd = dict(
        session.execute(
            sa.select(r.cardholder_id, sa.func.sum(r.minutes))
            .where(r.cardholder_id.in_(holders), r.activity_on > since, r.activity_on <= today)
            .group_by(r.cardholder_id)
        ).all()
    )
    members: dict[int, list] = defaultdict(list)
    m = tables.memberships.c
    for row in session.execute(
        sa.select(m.cardholder_id, m.institute_code, m.grade, m.verified, m.lapsed_on).where(
            m.cardholder_id.in_(holders)
        )
    ):
        members[row[0]].append(MembershipFact(row[1], row[2], row[3], row[4]))
    return {
        holder: HolderFacts(
            tuple(quals[holder]),
            tuple(hse[holder]),
            (cpd.get(holder) or 0) / 60,
            tuple(members[holder]),
        )
        for holder in ids
    }


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
        facts = _facts_of_scheme(uow.session, scheme.id, day)
    eligible, unmet = 0, Counter()
    for holder_facts in facts.values():
        decision = rule.evaluate(holder_facts, ctx)
        if decision.eligible:
            eligible += 1
        else:
            unmet.update(decision.unmet)
    return SchemeEvaluation(rule.name, len(facts), eligible, unmet)


def queue_reevaluation(*, uow: AbstractUnitOfWork, who: Principal, scheme_code: str, code: str):
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


def reevaluate_and_record(*, uow_factory, who: Principal, scheme_code: str, code: str):
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
