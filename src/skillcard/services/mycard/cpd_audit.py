"""The yearly CPD audit: a scheme samples a share of its holders, reproducibly from a stored
seed; its assessors review the sampled records and accept them or ask for more; the holder is
told by e-mail and answers in their record. Every step is audited.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, Role, can_manage_scheme, require, tied
from skillcard.domain.applications import CaseState, CpdAudit, CpdAuditCase, draw_sample
from skillcard.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

DEFAULT_SHARE_PERCENT = 5.0


@dataclass(frozen=True)
class SampleResult:
    audit_id: int
    scheme_code: str
    year: int
    seed: int
    share_percent: float
    population: int
    cardholder_ids: list[int]


@dataclass(frozen=True)
class CaseView:
    case: CpdAuditCase
    year: int
    scheme_code: str
    holder_name: str


def sample(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    year: int,
    share_percent: float = DEFAULT_SHARE_PERCENT,
    seed: int | None = None,
    public_url: str = "",
    now: dt.datetime | None = None,
) -> SampleResult:
    """Draw (once per scheme and year) the holders whose CPD is audited. The seed is stored, so
    anyone can draw the same sample again from the same holders. Each is told by e-mail, with
    a link to their CPD record at ``public_url`` (the service's own address) when given."""
    now = now or utcnow()
    if not 2000 <= year <= now.year + 1:
        raise InvalidInput(f"{year} is not a year to audit")
    seed = secrets.randbits(48) if seed is None else int(seed)
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_manage_scheme(who, scheme.id), f"sample {scheme.code} CPD records")
        if uow.cpd_audits.find(scheme.id, year) is not None:
            raise Conflict(f"{scheme.code}'s CPD audit for {year} has already been sampled")
        population = uow.cpd_audits.active_holders(scheme.id)
        chosen = draw_sample(population, share_percent, seed)
        audit = CpdAudit(scheme.id, year, float(share_percent), seed, now, who.label)
        uow.cpd_audits.add(audit)
        for holder_id in chosen:
            uow.cpd_audits.add(CpdAuditCase(audit_id=audit.id, cardholder_id=holder_id))
        record(
            uow,
            who,
            "cpd_audit.sample",
            "cpd_audit",
            audit.id,
            now=now,
            detail={
                "scheme": scheme.code,
                "year": year,
                "seed": seed,
                "share_percent": share_percent,
                "population": len(population),
                "sampled": len(chosen),
            },
        )
        for holder_id in chosen:
            holder = on_record(uow.cardholders.get(holder_id), "the cardholder")
            if holder.email:
                queue_email(
                    uow,
                    to=holder.email,
                    subject=f"Your CPD record was chosen for the {scheme.code} {year} audit",
                    body="An assessor will look at your CPD record. Keep it up to date; "
                    "you will be told if anything more is needed."
                    + (f"\n\n{public_url.rstrip('/')}/my/cpd\n" if public_url else ""),
                    kind="cpd_audit.sampled",
                    now=now,
                )
        uow.commit()
        return SampleResult(
            audit.id, scheme.code, year, seed, float(share_percent), len(population), chosen
        )


def _case_view(uow: AbstractUnitOfWork, case: CpdAuditCase, audit: CpdAudit) -> CaseView:
    return CaseView(
        case,
        audit.year,
        on_record(uow.schemes.get(audit.scheme_id), "the scheme").code,
        on_record(uow.cardholders.get(case.cardholder_id), "the cardholder").full_name,
    )


def assessor_cases(*, uow: AbstractUnitOfWork, who: Principal) -> list[CaseView]:
    """The sampled records of the assessor's (or scheme admin's) own scheme."""
    require(who.role in (Role.ASSESSOR, Role.SCHEME_ADMIN) and who.scheme_id, "review CPD audits")
    with uow:
        return [
            _case_view(uow, c, a)
            for c, a in uow.cpd_audits.cases_for_scheme(tied(who.scheme_id, "a scheme's staff"))
        ]


def holder_cases(*, uow: AbstractUnitOfWork, who: Principal) -> list[CaseView]:
    require(who.role == Role.CARDHOLDER and who.cardholder_id, "see your CPD audits")
    with uow:
        return [
            _case_view(uow, c, on_record(uow.cpd_audits.get(c.audit_id), "the cpd audit"))
            for c in uow.cpd_audits.cases_of_cardholder(tied(who.cardholder_id, "a cardholder"))
        ]


def review(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    case_id: int,
    accept: bool,
    message: str = "",
    public_url: str = "http://localhost:8000",
    now: dt.datetime | None = None,
) -> None:
    """An assessor of the case's scheme accepts the record or asks for more (with a message)."""
    now = now or utcnow()
    require(who.role in (Role.ASSESSOR, Role.SCHEME_ADMIN, Role.HUB_ADMIN), "review CPD audits")
    message = (message or "").strip()[:2000]
    with uow:
        case = uow.cpd_audits.case(case_id)
        audit = uow.cpd_audits.get(case.audit_id) if case else None
        if (
            case is None
            or audit is None
            or not (who.is_hub_admin or who.scheme_id == audit.scheme_id)
        ):
            raise NotFound(f"no CPD audit case {case_id} that you can see")
        if CaseState(case.state) == CaseState.ACCEPTED:
            raise IllegalTransition("this CPD record has already been accepted")
        if not accept and not message:
            raise InvalidInput("say what more you need, so the holder knows what to add")
        case.state = CaseState.ACCEPTED if accept else CaseState.MORE_REQUESTED
        case.request = case.request if accept else message
        case.updated_at, case.updated_by = now, who.label
        record(
            uow,
            who,
            "cpd_audit.accept" if accept else "cpd_audit.ask_more",
            "cpd_audit_case",
            case.id,
            now=now,
            reason=message,
        )
        holder = on_record(uow.cardholders.get(case.cardholder_id), "the cardholder")
        if holder.email:
            subject = (
                "Your CPD record was accepted" if accept else "More is needed for your CPD audit"
            )
            body = message or "Thank you: the assessor accepted your CPD record."
            queue_email(
                uow,
                to=holder.email,
                subject=subject,
                body=f"{body}\n\n{public_url.rstrip('/')}/my/cpd\n",
                kind="cpd_audit.review",
                now=now,
            )
        uow.commit()


def answer(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    case_id: int,
    text: str,
    now: dt.datetime | None = None,
) -> None:
    """The holder answers an assessor's request in their record."""
    now = now or utcnow()
    text = (text or "").strip()[:4000]
    if not text:
        raise InvalidInput("write your answer for the assessor")
    with uow:
        case = uow.cpd_audits.case(case_id)
        if case is None or who.role != Role.CARDHOLDER or who.cardholder_id != case.cardholder_id:
            raise NotFound(f"no CPD audit case {case_id} that you can see")
        if CaseState(case.state) != CaseState.MORE_REQUESTED:
            raise IllegalTransition("nothing has been asked of you for this audit")
        case.state, case.answer, case.updated_at, case.updated_by = (
            CaseState.ANSWERED,
            text,
            now,
            who.label,
        )
        record(uow, who, "cpd_audit.answer", "cpd_audit_case", case.id, now=now)
        uow.commit()
