"""Repositories of the HSE assessment: item bank, attempts, invigilation and review.

They never commit.
"""

from __future__ import annotations

import datetime as dt
import functools

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, registry
from sqlalchemy.orm.attributes import set_committed_value

from skillcard.adapters.db import tables_hse as t
from skillcard.adapters.db.dialect import is_postgresql
from skillcard.adapters.db.repositories import _Repository
from skillcard.domain.assessment import Assessment, Item, ItemStatus
from skillcard.domain.assessment_attempts import AWAITING_REVIEW, OPEN_STATES, Attempt
from skillcard.domain.invigilation import Adjustment, DeclaredConflict, InvigilationEvent
from skillcard.services.unit_of_work import AbstractUnitOfWork


def map_classes(mapper_registry: registry) -> None:
    """Map this area's domain classes onto its tables (called once, from mapping.py)."""
    for cls, table in (
        (Assessment, t.hse_assessments),
        (Item, t.hse_items),
        (Attempt, t.hse_attempts),
        (InvigilationEvent, t.hse_events),
        (Adjustment, t.hse_adjustments),
        (DeclaredConflict, t.hse_conflicts),
    ):
        mapper_registry.map_imperatively(cls, table)


def attach(uow: AbstractUnitOfWork, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.hse_assessments = AssessmentRepository(session)
    uow.hse_items = ItemRepository(session)
    uow.hse_attempts = AttemptRepository(session)
    uow.hse_events = EventRepository(session)
    uow.hse_adjustments = AdjustmentRepository(session)
    uow.hse_conflicts = ConflictRepository(session)


class AssessmentRepository(_Repository):
    def by_code(self, code: str) -> Assessment | None:
        a = t.hse_assessments.c
        return self.session.scalars(sa.select(Assessment).where(a.code == code)).first()

    def get(self, assessment_id: int) -> Assessment | None:
        return self.session.get(Assessment, assessment_id)


class ItemRepository(_Repository):
    def get(self, item_id: int) -> Item | None:
        return self.session.get(Item, item_id)

    def many(self, ids: list[int]) -> dict[int, Item]:
        if not ids:
            return {}
        i = t.hse_items.c
        return {x.id: x for x in self.session.scalars(sa.select(Item).where(i.id.in_(ids)))}

    def live(self, language: str | None = None) -> list[Item]:
        i = t.hse_items.c
        query = sa.select(Item).where(i.status == ItemStatus.LIVE.value)
        if language:
            query = query.where(i.language == language)
        return list(self.session.scalars(query.order_by(i.code, i.version)))

    def latest(self) -> list[Item]:
        """The newest version of every item, whatever its status: the bank as it stands."""
        i = t.hse_items.c
        newest = (
            sa.select(i.code, sa.func.max(i.version).label("version")).group_by(i.code).subquery()
        )
        query = (
            sa.select(Item)
            .join(newest, sa.and_(i.code == newest.c.code, i.version == newest.c.version))
            .order_by(i.code)
        )
        return list(self.session.scalars(query))

    def versions(self, code: str) -> list[Item]:
        i = t.hse_items.c
        return list(self.session.scalars(sa.select(Item).where(i.code == code).order_by(i.version)))

    def count(self) -> int:
        return self.session.scalar(sa.select(sa.func.count()).select_from(t.hse_items)) or 0


class AttemptRepository(_Repository):
    def get(self, attempt_id: int, *, for_update: bool = False) -> Attempt | None:
        if for_update:  # answers of one attempt are saved one after another (the seq check)
            return self.session.scalars(_attempt_for_update(), {"id": attempt_id}).first()
        return self.session.get(Attempt, attempt_id)

    def open_of(self, cardholder_id: int) -> Attempt | None:
        a = t.hse_attempts.c
        query = (
            sa.select(Attempt)
            .where(a.cardholder_id == cardholder_id, a.state.in_([s.value for s in OPEN_STATES]))
            .order_by(a.id.desc())
        )
        return self.session.scalars(query).first()

    def of_cardholder(self, cardholder_id: int) -> list[Attempt]:
        a = t.hse_attempts.c
        query = sa.select(Attempt).where(a.cardholder_id == cardholder_id).order_by(a.id.desc())
        return list(self.session.scalars(query))

    def recent_candidates(self, scheme_id: int | None, limit: int = 200) -> list[int]:
        """The cardholders who sat the assessment (in ``scheme_id``, or any), newest first."""
        a = t.hse_attempts.c
        query = sa.select(a.cardholder_id, sa.func.max(a.id).label("last"))
        if scheme_id is not None:
            query = query.where(a.scheme_id == scheme_id)
        query = query.group_by(a.cardholder_id).order_by(sa.desc("last")).limit(limit)
        return [row.cardholder_id for row in self.session.execute(query)]

    def awaiting_review(self, scheme_id: int | None) -> list[Attempt]:
        a = t.hse_attempts.c
        query = sa.select(Attempt).where(a.state.in_([s.value for s in AWAITING_REVIEW]))
        if scheme_id is not None:
            query = query.where(a.scheme_id == scheme_id)
        return list(self.session.scalars(query.order_by(a.submitted_at, a.id)))

    def overdue(self, now: dt.datetime, scheme_id: int | None = None) -> list[Attempt]:
        a = t.hse_attempts.c
        query = sa.select(Attempt).where(a.state == "started", a.deadline < now)
        if scheme_id is not None:
            query = query.where(a.scheme_id == scheme_id)
        return list(self.session.scalars(query))

    def pictures_past_keeping(self, decided_before: dt.datetime) -> dict[int, set[str]]:
        """The pictures (identity photos, webcam snapshots) of attempts decided before the
        moment and not purged yet, by attempt: the one query across schemes the purge makes."""
        a, e = t.hse_attempts.c, t.hse_events.c
        due = sa.and_(a.decided_at.is_not(None), a.decided_at < decided_before)
        due = sa.and_(due, a.pictures_purged_at.is_(None))
        found: dict[int, set[str]] = {}
        for row in self.session.execute(
            sa.select(a.id, a.face_photo_sha256, a.id_photo_sha256).where(due)
        ):
            found[row.id] = {d for d in (row.face_photo_sha256, row.id_photo_sha256) if d}
        if found:
            query = sa.select(e.attempt_id, e.snapshot_sha256).where(
                e.attempt_id.in_(list(found)), e.snapshot_sha256.is_not(None)
            )
            for snap in self.session.execute(query):
                found[snap.attempt_id].add(snap.snapshot_sha256)
        return found

    def pictures_still_kept(self, digests: set[str], decided_before: dt.datetime) -> set[str]:
        """Which of ``digests`` an attempt still within its keeping also has (the same file,
        named by its content): those stay."""
        if not digests:
            return set()
        a, e = t.hse_attempts.c, t.hse_events.c
        kept = sa.or_(a.decided_at.is_(None), a.decided_at >= decided_before)
        listed = list(digests)
        found: set[str] = set()
        for column in (a.face_photo_sha256, a.id_photo_sha256):
            query = sa.select(column).where(kept, column.in_(listed))
            found |= set(self.session.scalars(query))
        query = (
            sa.select(e.snapshot_sha256)
            .join(t.hse_attempts, t.hse_attempts.c.id == e.attempt_id)
            .where(kept, e.snapshot_sha256.in_(listed))
        )
        return found | set(self.session.scalars(query))

    def mark_pictures_purged(self, attempt_ids: list[int], now: dt.datetime) -> None:
        if attempt_ids:
            self.session.execute(
                sa.update(t.hse_attempts)
                .where(t.hse_attempts.c.id.in_(attempt_ids))
                .values(pictures_purged_at=now)
            )

    def answers(self, attempt_id: int) -> dict[int, int]:
        """item id -> the place chosen on screen, for the questions answered."""
        s = t.hse_answers.c
        rows = self.session.execute(
            sa.select(s.item_id, s.choice).where(s.attempt_id == attempt_id, s.choice.is_not(None))
        )
        return {item_id: choice for item_id, choice in rows}

    def save_answer(
        self, attempt: Attempt, item_id: int, choice: int | None, seq: int, now: dt.datetime
    ) -> None:
        """Store the answer and the attempt's new seq (the caller holds the attempt's row
        lock). Statements built once, in Core: on every click of every candidate, the
        ORM's flush of one changed column and a freshly built upsert cost more than the
        writes themselves. On PostgreSQL both writes are one statement (the seq's update as
        a data-modifying WITH), one round trip fewer; SQLite, in-process, has no round trips
        to save and no such WITH. The attempt then leaves the session: nothing to flush."""
        set_committed_value(attempt, "answer_seq", seq)
        self.session.expunge(attempt)
        postgres = is_postgresql(self.session.get_bind())
        values = {"attempt_id": attempt.id, "item_id": item_id, "choice": choice, "seq": seq}
        self.session.execute(answer_upsert(postgres), {**values, "at": now})
        if not postgres:
            self.session.execute(_SEQ_UPDATE, {"attempt_id": attempt.id, "seq": seq})


@functools.cache
def _attempt_for_update() -> sa.Select:
    return sa.select(Attempt).where(t.hse_attempts.c.id == sa.bindparam("id")).with_for_update()


@functools.cache
def answer_upsert(postgres: bool) -> sa.Insert:
    """Insert or overwrite one answer (INSERT ... ON CONFLICT, which both databases speak)."""
    insert = (postgresql_insert if postgres else sqlite_insert)(t.hse_answers).values(
        attempt_id=sa.bindparam("attempt_id"),
        item_id=sa.bindparam("item_id"),
        choice=sa.bindparam("choice"),
        seq=sa.bindparam("seq"),
        answered_at=sa.bindparam("at"),
    )
    fresh = insert.excluded
    upsert = insert.on_conflict_do_update(
        index_elements=["attempt_id", "item_id"],
        set_={"choice": fresh.choice, "seq": fresh.seq, "answered_at": fresh.answered_at},
    )
    return upsert.add_cte(_SEQ_UPDATE.cte("new_seq")) if postgres else upsert


_SEQ_UPDATE = (
    sa.update(t.hse_attempts)
    .where(t.hse_attempts.c.id == sa.bindparam("attempt_id"))
    .values(answer_seq=sa.bindparam("seq"))
)


class EventRepository(_Repository):
    def of_attempt(self, attempt_id: int) -> list[InvigilationEvent]:
        e = t.hse_events.c
        query = (
            sa.select(InvigilationEvent)
            .where(e.attempt_id == attempt_id)
            .order_by(e.occurred_at, e.id)
        )
        return list(self.session.scalars(query))

    def has_snapshot(self, attempt_id: int, sha256: str) -> bool:
        e = t.hse_events.c
        found = self.session.execute(
            sa.select(e.id).where(e.attempt_id == attempt_id, e.snapshot_sha256 == sha256)
        ).first()
        return found is not None


class AdjustmentRepository(_Repository):
    def of_cardholder(self, cardholder_id: int) -> Adjustment | None:
        j = t.hse_adjustments.c
        query = sa.select(Adjustment).where(j.cardholder_id == cardholder_id)
        return self.session.scalars(query).first()


class ConflictRepository(_Repository):
    def exists(self, invigilator_user_id: int | None, cardholder_id: int) -> bool:
        if invigilator_user_id is None:
            return False
        c = t.hse_conflicts.c
        found = self.session.execute(
            sa.select(c.id).where(
                c.invigilator_user_id == invigilator_user_id, c.cardholder_id == cardholder_id
            )
        ).first()
        return found is not None
