"""Repositories of MyCard: CPD records, evidence, qualifications, applications.

They never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session, registry

from skillcard.adapters.db import tables, tables_mycard
from skillcard.adapters.db.repositories import _Repository
from skillcard.domain.applications import Application, CpdAudit, CpdAuditCase
from skillcard.domain.cards import CardStatus
from skillcard.domain.cpd import CpdRecord, EvidenceFile
from skillcard.domain.eligibility import HeldFact, HolderFacts, MembershipFact
from skillcard.domain.qualification_reviews import QualificationReview
from skillcard.services.unit_of_work import AbstractUnitOfWork

C = tables_mycard.cpd_records.c
E = tables_mycard.evidence_files.c
A = tables_mycard.applications.c


def map_classes(mapper_registry: registry) -> None:
    """Map this area's domain classes onto its tables (called once, from mapping.py)."""
    for cls, table in (
        (CpdRecord, tables_mycard.cpd_records),
        (EvidenceFile, tables_mycard.evidence_files),
        (Application, tables_mycard.applications),
        (QualificationReview, tables_mycard.qualification_reviews),
        (CpdAudit, tables_mycard.cpd_audits),
        (CpdAuditCase, tables_mycard.cpd_audit_cases),
    ):
        mapper_registry.map_imperatively(cls, table)


class CpdRepository(_Repository):
    def get(self, record_id: int) -> CpdRecord | None:
        return self.session.get(CpdRecord, record_id)

    def of_cardholder(
        self, cardholder_id: int, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[CpdRecord]:
        query = sa.select(CpdRecord).where(C.cardholder_id == cardholder_id)
        if since:
            query = query.where(C.activity_on >= since)
        if until:
            query = query.where(C.activity_on <= until)
        return list(self.session.scalars(query.order_by(C.activity_on.desc(), C.id.desc())))

    def minutes_on(self, cardholder_id: int, day: dt.date) -> int:
        total = self.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(C.minutes), 0)).where(
                C.cardholder_id == cardholder_id, C.activity_on == day
            )
        )
        return int(total or 0)


class EvidenceRepository(_Repository):
    def get(self, evidence_id: int) -> EvidenceFile | None:
        return self.session.get(EvidenceFile, evidence_id)

    def of_cpd_records(self, record_ids: list[int]) -> list[EvidenceFile]:
        if not record_ids:
            return []
        query = sa.select(EvidenceFile).where(E.cpd_record_id.in_(record_ids)).order_by(E.id)
        return list(self.session.scalars(query))

    def of_application(self, application_id: int) -> list[EvidenceFile]:
        query = sa.select(EvidenceFile).where(E.application_id == application_id)
        return list(self.session.scalars(query.order_by(E.id)))

    def of_qualifications(self, held_ids: list[int]) -> list[EvidenceFile]:
        if not held_ids:
            return []
        query = sa.select(EvidenceFile).where(E.held_qualification_id.in_(held_ids))
        return list(self.session.scalars(query.order_by(E.id)))


class ApplicationRepository(_Repository):
    def get(self, application_id: int) -> Application | None:
        return self.session.get(Application, application_id)

    def of_cardholder(self, cardholder_id: int) -> list[Application]:
        query = sa.select(Application).where(A.cardholder_id == cardholder_id)
        return list(self.session.scalars(query.order_by(A.id.desc())))

    def queue(self, scheme_id: int | None, states: list[str], limit: int = 100) -> list:
        query = sa.select(Application).where(A.state.in_(states))
        if scheme_id is not None:
            query = query.where(A.scheme_id == scheme_id)
        return list(self.session.scalars(query.order_by(A.id).limit(limit)))


class QualificationReviewRepository(_Repository):
    def for_held(self, held_ids: list[int]) -> dict[int, QualificationReview]:
        if not held_ids:
            return {}
        q = tables_mycard.qualification_reviews.c
        query = sa.select(QualificationReview).where(q.held_qualification_id.in_(held_ids))
        return {r.held_qualification_id: r for r in self.session.scalars(query)}

    def held(self, held_id: int):
        from skillcard.domain.people import HeldQualification

        return self.session.get(HeldQualification, held_id)

    def pending(self, scheme_id: int | None, limit: int = 100) -> list:
        """Declared, unreviewed qualifications of holders of the scheme's cards (or holders
        with an application to it)."""
        from skillcard.domain.people import HeldQualification

        h = tables.held_qualifications.c
        q = tables_mycard.qualification_reviews.c
        query = (
            sa.select(HeldQualification)
            .outerjoin(tables_mycard.qualification_reviews, q.held_qualification_id == h.id)
            .where(h.verified.is_(False), sa.or_(q.state.is_(None), q.state == "declared"))
        )
        if scheme_id is not None:
            cards = tables.cards.c
            in_scheme = sa.union(
                sa.select(cards.cardholder_id).where(cards.scheme_id == scheme_id),
                sa.select(A.cardholder_id).where(A.scheme_id == scheme_id),
            )
            query = query.where(h.cardholder_id.in_(in_scheme))
        return list(self.session.scalars(query.order_by(h.id).limit(limit)))


class CpdAuditRepository(_Repository):
    def find(self, scheme_id: int, year: int) -> CpdAudit | None:
        a = tables_mycard.cpd_audits.c
        query = sa.select(CpdAudit).where(a.scheme_id == scheme_id, a.year == year)
        return self.session.scalars(query).first()

    def get(self, audit_id: int) -> CpdAudit | None:
        return self.session.get(CpdAudit, audit_id)

    def case(self, case_id: int) -> CpdAuditCase | None:
        return self.session.get(CpdAuditCase, case_id)

    def cases(self, audit_id: int) -> list[CpdAuditCase]:
        k = tables_mycard.cpd_audit_cases.c
        query = sa.select(CpdAuditCase).where(k.audit_id == audit_id).order_by(k.id)
        return list(self.session.scalars(query))

    def cases_of_cardholder(self, cardholder_id: int) -> list[CpdAuditCase]:
        k = tables_mycard.cpd_audit_cases.c
        query = sa.select(CpdAuditCase).where(k.cardholder_id == cardholder_id).order_by(k.id)
        return list(self.session.scalars(query))

    def cases_for_scheme(self, scheme_id: int) -> list[tuple[CpdAuditCase, CpdAudit]]:
        k, a = tables_mycard.cpd_audit_cases.c, tables_mycard.cpd_audits.c
        query = (
            sa.select(CpdAuditCase, CpdAudit)
            .join(CpdAudit, a.id == k.audit_id)
            .where(a.scheme_id == scheme_id)
            .order_by(a.year.desc(), k.id)
        )
        return [(case, audit) for case, audit in self.session.execute(query)]

    def sampled_scheme_ids(self, cardholder_id: int) -> set[int]:
        """The schemes whose CPD audit sampled this holder (so their assessors may look)."""
        k, a = tables_mycard.cpd_audit_cases.c, tables_mycard.cpd_audits.c
        query = (
            sa.select(a.scheme_id)
            .join(tables_mycard.cpd_audits, a.id == k.audit_id)
            .where(k.cardholder_id == cardholder_id)
        )
        return set(self.session.scalars(query))

    def active_holders(self, scheme_id: int) -> list[int]:
        c = tables.cards.c
        query = sa.select(c.cardholder_id).where(
            c.scheme_id == scheme_id, c.status == CardStatus.ACTIVE
        )
        return sorted(set(self.session.scalars(query.distinct())))


class PqpMembershipRepository(_Repository):
    """Institute memberships as the PQP card needs them (the table is the registry's)."""

    def get(self, membership_id: int):
        from skillcard.domain.people import Membership

        return self.session.get(Membership, membership_id)

    def unverified(self, limit: int = 100) -> list:
        from skillcard.domain.people import Membership

        m = tables.memberships.c
        query = sa.select(Membership).where(m.verified.is_(False), m.lapsed_on.is_(None))
        return list(self.session.scalars(query.order_by(m.id).limit(limit)))

    def current(self, limit: int = 200) -> list:
        from skillcard.domain.people import Membership

        m = tables.memberships.c
        query = sa.select(Membership).where(m.verified.is_(True), m.lapsed_on.is_(None))
        return list(self.session.scalars(query.order_by(m.id).limit(limit)))


class SchemeFactsRepository(_Repository):
    """Every holder of a scheme's active cards with their facts, read in a handful of
    streaming queries (never one query per holder)."""

    def of_scheme(self, scheme_id: int, today: dt.date) -> dict[int, HolderFacts]:
        c, h = tables.cards.c, tables.held_qualifications.c
        q = tables_mycard.qualification_reviews.c
        holders = sa.select(c.cardholder_id).where(
            c.scheme_id == scheme_id, c.status == CardStatus.ACTIVE
        )
        ids = set(self.session.scalars(holders.distinct()))
        quals: dict[int, list[HeldFact]] = defaultdict(list)
        rows = self.session.execute(
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
        for holder, passed, until in self.session.execute(
            sa.select(e.cardholder_id, e.passed_on, e.valid_until).where(
                e.cardholder_id.in_(holders)
            )
        ):
            hse[holder].append((passed, until))
        r = tables_mycard.cpd_records.c
        since = today - dt.timedelta(days=365)
        cpd = dict(
            self.session.execute(
                sa.select(r.cardholder_id, sa.func.sum(r.minutes))
                .where(r.cardholder_id.in_(holders), r.activity_on > since, r.activity_on <= today)
                .group_by(r.cardholder_id)
            ).all()
        )
        members: dict[int, list] = defaultdict(list)
        m = tables.memberships.c
        for row in self.session.execute(
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


def attach(uow: AbstractUnitOfWork, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.cpd = CpdRepository(session)
    uow.evidence = EvidenceRepository(session)
    uow.applications = ApplicationRepository(session)
    uow.qualification_reviews = QualificationReviewRepository(session)
    uow.cpd_audits = CpdAuditRepository(session)
    uow.pqp_memberships = PqpMembershipRepository(session)
    uow.scheme_facts = SchemeFactsRepository(session)
