"""Repositories of Business Check: businesses, sign-up links, workforce, checks, bulk jobs.

They never commit. Every query of a business's data takes its ``business_id``: the services
pass the caller's own, so one business's rows are never read for another.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session, registry

from skillcard.adapters.db import tables
from skillcard.adapters.db import tables_business as tb
from skillcard.adapters.db.check_repositories import insert_many
from skillcard.adapters.db.repositories import _Repository
from skillcard.adapters.db.tables_jobs import bulk_result_rows
from skillcard.domain.accounts import Role, User
from skillcard.domain.business import (
    BulkJob,
    BulkStatus,
    Business,
    BusinessCheck,
    WorkforceEntry,
)
from skillcard.domain.cards import Card
from skillcard.domain.people import Cardholder
from skillcard.domain.webhooks import PENDING, WebhookDelivery
from skillcard.services.unit_of_work import AbstractUnitOfWork


def map_classes(mapper_registry: registry) -> None:
    """Map this area's domain classes onto its tables (called once, from mapping.py)."""
    for cls, table in (
        (Business, tb.businesses),
        (WorkforceEntry, tb.workforce_entries),
        (BusinessCheck, tb.business_checks),
        (BulkJob, tb.bulk_jobs),
        (WebhookDelivery, tb.webhook_deliveries),
    ):
        mapper_registry.map_imperatively(cls, table)


def attach(uow: AbstractUnitOfWork, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.businesses = BusinessRepository(session)
    uow.business_tokens = BusinessTokenRepository(session)
    uow.workforce = WorkforceRepository(session)
    uow.business_checks = BusinessCheckRepository(session)
    uow.bulk_jobs = BulkJobRepository(session)
    uow.webhook_deliveries = WebhookDeliveryRepository(session)


_APPROVAL = sa.select(tb.businesses.c.approved).where(tb.businesses.c.id == sa.bindparam("id"))


class BusinessRepository(_Repository):
    def get(self, business_id: int) -> Business | None:
        return self.session.get(Business, business_id)

    def approval(self, business_id: int) -> bool | None:
        """Whether the business is approved (None: there is no such business); one column,
        read on every check a business makes."""
        return self.session.execute(_APPROVAL, {"id": business_id}).scalar()

    def by_company_number(self, number: str) -> Business | None:
        b = tb.businesses.c
        return self.session.scalars(sa.select(Business).where(b.company_number == number)).first()

    def waiting_first(self) -> list[Business]:
        """Every business, those not approved yet first, newest first within each."""
        b = tb.businesses.c
        query = sa.select(Business).order_by(b.approved, b.created_at.desc(), b.id.desc())
        return list(self.session.scalars(query))

    def confirmed(self) -> list[Business]:
        b = tb.businesses.c
        return list(self.session.scalars(sa.select(Business).where(b.confirmed).order_by(b.id)))

    def users_of(self, business_id: int, role: Role | None = None) -> list[User]:
        u = tables.users.c
        query = sa.select(User).where(u.business_id == business_id).order_by(u.email)
        if role is not None:
            query = query.where(u.role == role)
        return list(self.session.scalars(query))


class BusinessTokenRepository(_Repository):
    def add_token(self, **values) -> None:
        self.session.execute(tb.business_tokens.insert().values(**values))

    def find(self, token_hash: str):
        t = tb.business_tokens.c
        return self.session.execute(
            sa.select(tb.business_tokens).where(t.token_hash == token_hash)
        ).first()

    def mark_used(self, token_hash: str, now: dt.datetime) -> None:
        t = tb.business_tokens.c
        self.session.execute(
            tb.business_tokens.update().where(t.token_hash == token_hash).values(used_at=now)
        )


class WorkforceRepository(_Repository):
    def get(self, business_id: int, entry_id: int) -> WorkforceEntry | None:
        w = tb.workforce_entries.c
        return self.session.scalars(
            sa.select(WorkforceEntry).where(w.id == entry_id, w.business_id == business_id)
        ).first()

    def remove(self, entry: WorkforceEntry) -> None:
        self.session.delete(entry)
        self.session.flush()

    def with_cards(
        self, business_id: int, *, site: str = "", subcontractor: str = ""
    ) -> list[tuple[WorkforceEntry, Card, Cardholder, str, str]]:
        """Each entry with its card, holder, scheme code and card type title, by label."""
        w, c, h = tb.workforce_entries.c, tables.cards.c, tables.cardholders.c
        s, t = tables.schemes.c, tables.card_types.c
        query = (
            sa.select(WorkforceEntry, Card, Cardholder, s.code, t.title)
            .join(tables.cards, c.id == w.card_id)
            .join(tables.cardholders, h.id == c.cardholder_id)
            .join(tables.schemes, s.id == c.scheme_id)
            .join(tables.card_types, t.id == c.card_type_id)
            .where(w.business_id == business_id)
            .order_by(h.surname_key, w.id)
        )
        if site:
            query = query.where(w.site == site)
        if subcontractor:
            query = query.where(w.subcontractor == subcontractor)
        return [tuple(row) for row in self.session.execute(query)]

    def distinct(self, business_id: int, column: str) -> list[str]:
        w = tb.workforce_entries.c
        col = w[column]
        query = sa.select(col).where(w.business_id == business_id, col != "").distinct()
        return list(self.session.scalars(query.order_by(col)))


class BusinessCheckRepository(_Repository):
    def add_many(self, rows: list[dict]) -> None:
        """Many checks at once (a bulk CSV's batch)."""
        if rows:
            insert_many(self.session, tb.business_checks, rows)

    def between(
        self, business_id: int, start: dt.datetime, end: dt.datetime, limit: int | None = None
    ) -> list[BusinessCheck]:
        k = tb.business_checks.c
        query = (
            sa.select(BusinessCheck)
            .where(k.business_id == business_id, k.checked_at >= start, k.checked_at < end)
            .order_by(k.checked_at, k.id)
        )
        if limit:
            query = query.limit(limit)
        return list(self.session.scalars(query))

    def recent(self, business_id: int, limit: int = 20) -> list[BusinessCheck]:
        k = tb.business_checks.c
        query = (
            sa.select(BusinessCheck)
            .where(k.business_id == business_id)
            .order_by(k.checked_at.desc(), k.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))


class BulkJobRepository(_Repository):
    def get(self, business_id: int, job_id: str) -> BulkJob | None:
        j = tb.bulk_jobs.c
        return self.session.scalars(
            sa.select(BulkJob).where(j.id == job_id, j.business_id == business_id)
        ).first()

    def by_id(self, job_id: str) -> BulkJob | None:
        """Any business's job: for the runner that works on it, never for a door."""
        return self.session.get(BulkJob, job_id)

    def update(self, job_id: str, **values) -> None:
        j = tb.bulk_jobs.c
        self.session.execute(tb.bulk_jobs.update().where(j.id == job_id).values(**values))

    def recent(self, business_id: int, limit: int = 10) -> list[BulkJob]:
        j = tb.bulk_jobs.c
        return list(
            self.session.scalars(
                sa.select(BulkJob)
                .where(j.business_id == business_id)
                .order_by(j.created_at.desc())
                .limit(limit)
            )
        )

    def add_result_rows(self, job_id: str, first: int, answers: list[dict]) -> None:
        """A batch's answers, from row index ``first``; a row already written is refused (its
        primary key), taking the whole batch's transaction with it."""
        if answers:
            self.session.execute(
                bulk_result_rows.insert(),
                [
                    {"job_id": job_id, "row_index": first + i, "answer": json.dumps(answer)}
                    for i, answer in enumerate(answers)
                ],
            )

    def result_rows(self, job_id: str):
        """The job's answers in row order, streamed (memory flat for any file)."""
        r = bulk_result_rows.c
        query = sa.select(r.answer).where(r.job_id == job_id).order_by(r.row_index)
        for answer in self.session.execute(query.execution_options(yield_per=1000)).scalars():
            yield json.loads(answer)

    def drop_result_rows(self, job_id: str) -> None:
        r = bulk_result_rows.c
        self.session.execute(bulk_result_rows.delete().where(r.job_id == job_id))

    def past_keeping(self, cutoff: dt.datetime) -> list[BulkJob]:
        """Every business's jobs whose result is kept no longer: finished before ``cutoff``,
        or started before it and never finished (their server stopped). The one query across
        businesses: the purge acts for none of them."""
        j = tb.bulk_jobs.c
        ended = [BulkStatus.DONE.value, BulkStatus.FAILED.value]
        unended = [BulkStatus.QUEUED.value, BulkStatus.RUNNING.value]
        finished = sa.and_(j.status.in_(ended), j.finished_at < cutoff)
        stopped = sa.and_(j.status.in_(unended), j.created_at < cutoff)
        query = sa.select(BulkJob).where(sa.or_(finished, stopped)).order_by(j.created_at)
        return list(self.session.scalars(query))


class WebhookDeliveryRepository(_Repository):
    def due(self, now: dt.datetime, limit: int = 100) -> list[int]:
        """Ids of the deliveries waiting whose time has come, oldest first, and each the
        oldest still waiting for its webhook (a webhook gets its bodies in order)."""
        d = tb.webhook_deliveries.c
        earlier = tb.webhook_deliveries.alias("earlier")
        e = earlier.c
        same_target = sa.or_(
            sa.and_(d.business_id.is_not(None), e.business_id == d.business_id),
            sa.and_(d.scheme_id.is_not(None), e.scheme_id == d.scheme_id),
        )
        held_back = sa.select(e.id).where(e.state == PENDING, e.id < d.id, same_target).exists()
        query = (
            sa.select(d.id)
            .where(d.state == PENDING)
            .where(sa.or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now))
            .where(~held_back)
            .order_by(d.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def claim(self, delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
        """The delivery, locked for this transaction, if it is still due and no other
        process holds it (PostgreSQL skips a locked row; SQLite has one writer anyway)."""
        d = tb.webhook_deliveries.c
        query = (
            sa.select(WebhookDelivery)
            .where(d.id == delivery_id, d.state == PENDING)
            .where(sa.or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now))
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(query).first()

    def latest(self, business_id: int) -> WebhookDelivery | None:
        d = tb.webhook_deliveries.c
        query = (
            sa.select(WebhookDelivery)
            .where(d.business_id == business_id)
            .order_by(d.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def latest_for_scheme(self, scheme_id: int) -> WebhookDelivery | None:
        d = tb.webhook_deliveries.c
        query = (
            sa.select(WebhookDelivery)
            .where(d.scheme_id == scheme_id)
            .order_by(d.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()
