"""Repositories: how the services find and add things. They never commit."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from skillcard.adapters.db import scheme_cache, tables
from skillcard.domain.audit import GENESIS, AuditEvent
from skillcard.domain.audit_checkpoints import Checkpoint
from skillcard.domain.cards import Card, CardStatus
from skillcard.domain.people import (
    Cardholder,
    HeldQualification,
    Membership,
    RecognisedInstitute,
)
from skillcard.domain.schemes import CardType, Occupation, Qualification, Scheme


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, thing) -> None:
        self.session.add(thing)
        self.session.flush()


class SchemeRepository(_Repository):
    def add(self, scheme: Scheme) -> None:
        super().add(scheme)
        scheme_cache.forget()
        # and again once it stands: a check between now and the commit read the schemes
        # without it, and a miss would read them again only a second later
        sa.event.listen(self.session, "after_commit", lambda _s: scheme_cache.forget(), once=True)

    def get(self, scheme_id: int) -> Scheme | None:
        return self.session.get(Scheme, scheme_id)

    def by_code(self, code: str) -> Scheme | None:
        return self.session.scalars(
            sa.select(Scheme).where(sa.func.upper(tables.schemes.c.code) == code.strip().upper())
        ).first()

    def list(self) -> list[Scheme]:
        return list(self.session.scalars(sa.select(Scheme).order_by(tables.schemes.c.code)))

    def resolve(self, number: str, scheme_code: str | None) -> tuple[Scheme, str]:
        """The scheme of a card number, by code or prefix, and the number checked against its
        format, from the process's directory of the schemes (``scheme_cache.py``)."""
        return scheme_cache.resolve(self.session, number, scheme_code)

    def resolver(self) -> Callable[[str, str | None], tuple[Scheme, str]]:
        """:meth:`resolve` for a batch of numbers (see ``scheme_cache.resolver``)."""
        return scheme_cache.resolver(self.session)

    def next_serial(self, scheme_id: int, count: int = 1) -> int:
        """Reserve ``count`` serials for new cards and return the first of them."""
        serials = tables.card_number_serials
        row = self.session.execute(
            sa.select(serials.c.next_serial)
            .where(serials.c.scheme_id == scheme_id)
            .with_for_update()
        ).first()
        if row is None:
            first = 1
            self.session.execute(
                serials.insert().values(scheme_id=scheme_id, next_serial=first + count)
            )
        else:
            first = row.next_serial
            self.session.execute(
                serials.update()
                .where(serials.c.scheme_id == scheme_id)
                .values(next_serial=first + count)
            )
        return first


class CardTypeRepository(_Repository):
    def get(self, card_type_id: int) -> CardType | None:
        return self.session.get(CardType, card_type_id)

    def by_code(self, scheme_id: int, code: str) -> CardType | None:
        t = tables.card_types.c
        return self.session.scalars(
            sa.select(CardType).where(t.scheme_id == scheme_id, t.code == code.strip().upper())
        ).first()

    def for_scheme(self, scheme_id: int) -> list[CardType]:
        t = tables.card_types.c
        return list(
            self.session.scalars(
                sa.select(CardType).where(t.scheme_id == scheme_id).order_by(t.code)
            )
        )


class OccupationRepository(_Repository):
    def get(self, occupation_id: int) -> Occupation | None:
        return self.session.get(Occupation, occupation_id)

    def by_code(self, scheme_id: int, code: str) -> Occupation | None:
        o = tables.occupations.c
        return self.session.scalars(
            sa.select(Occupation).where(o.scheme_id == scheme_id, o.code == code.strip().upper())
        ).first()

    def for_scheme(self, scheme_id: int) -> list[Occupation]:
        o = tables.occupations.c
        return list(
            self.session.scalars(
                sa.select(Occupation).where(o.scheme_id == scheme_id).order_by(o.title)
            )
        )


class ReferenceRepository(_Repository):
    """Qualifications and recognised institutes: small tables, read as plain values."""

    def add_qualification(self, q: Qualification) -> None:
        self.session.execute(
            tables.qualifications.insert().values(
                code=q.code,
                title=q.title,
                level=q.level,
                awarding_body=q.awarding_body,
                tags=",".join(q.tags),
                sample=q.sample,
            )
        )

    def qualification(self, code: str) -> Qualification | None:
        row = self.session.execute(
            sa.select(tables.qualifications).where(tables.qualifications.c.code == code)
        ).first()
        return _qualification(row) if row else None

    def qualifications(self) -> list[Qualification]:
        rows = self.session.execute(
            sa.select(tables.qualifications).order_by(tables.qualifications.c.title)
        )
        return [_qualification(r) for r in rows]

    def add_institute(self, i: RecognisedInstitute) -> None:
        self.session.execute(
            tables.institutes.insert().values(
                code=i.code,
                name=i.name,
                membership_pattern=i.membership_pattern,
                qualifying_grades="|".join(i.qualifying_grades),
                recognised_for=i.recognised_for,
                sample=i.sample,
                source=i.source,
            )
        )

    def institutes(self) -> list[RecognisedInstitute]:
        rows = self.session.execute(sa.select(tables.institutes).order_by(tables.institutes.c.code))
        return [
            RecognisedInstitute(
                code=r.code,
                name=r.name,
                membership_pattern=r.membership_pattern,
                qualifying_grades=tuple(g for g in r.qualifying_grades.split("|") if g),
                recognised_for=r.recognised_for,
                sample=r.sample,
                source=r.source,
            )
            for r in rows
        ]


def _qualification(row) -> Qualification:
    return Qualification(
        code=row.code,
        title=row.title,
        level=row.level,
        awarding_body=row.awarding_body,
        tags=tuple(t for t in row.tags.split(",") if t),
        sample=row.sample,
    )


class CardholderRepository(_Repository):
    def get(self, cardholder_id: int) -> Cardholder | None:
        return self.session.get(Cardholder, cardholder_id)

    def by_surname_key(self, key: str, limit: int = 50) -> list[Cardholder]:
        c = tables.cardholders.c
        return list(
            self.session.scalars(
                sa.select(Cardholder).where(c.surname_key == key).order_by(c.id).limit(limit)
            )
        )

    def qualifications_of(self, cardholder_id: int) -> list[HeldQualification]:
        h = tables.held_qualifications.c
        return list(
            self.session.scalars(
                sa.select(HeldQualification)
                .where(h.cardholder_id == cardholder_id)
                .order_by(h.achieved_on)
            )
        )

    def with_photo(self, sha256: str, limit: int = 20) -> list[Cardholder]:
        """The cardholders whose photo is this one (usually one; shared photos are rare)."""
        c = tables.cardholders.c
        return list(
            self.session.scalars(
                sa.select(Cardholder).where(c.photo_sha256 == sha256).order_by(c.id).limit(limit)
            )
        )

    def photos_in_use(self, hashes: list[str]) -> set[str]:
        """Which of these photos some cardholder still has (at most a few hundred at a time)."""
        c = tables.cardholders.c
        if not hashes:
            return set()
        query = sa.select(c.photo_sha256).where(c.photo_sha256.in_(hashes)).distinct()
        return set(self.session.scalars(query))

    def memberships_of(self, cardholder_id: int) -> list[Membership]:
        m = tables.memberships.c
        return list(
            self.session.scalars(sa.select(Membership).where(m.cardholder_id == cardholder_id))
        )


class CardRepository(_Repository):
    def active_of_cardholder(self, cardholder_id: int) -> list[Card]:
        c = tables.cards.c
        query = sa.select(Card).where(
            c.cardholder_id == cardholder_id, c.status == CardStatus.ACTIVE
        )
        return list(self.session.scalars(query))

    def get(self, card_id: int) -> Card | None:
        return self.session.get(Card, card_id)

    def by_number(self, scheme_id: int, number: str) -> Card | None:
        c = tables.cards.c
        return self.session.scalars(
            sa.select(Card).where(c.scheme_id == scheme_id, c.number == number)
        ).first()

    def counts_by_scheme(self) -> dict[int, int]:
        """How many cards each scheme holds (any status), by scheme id."""
        c = tables.cards.c
        rows = self.session.execute(sa.select(c.scheme_id, sa.func.count()).group_by(c.scheme_id))
        return {scheme_id: count for scheme_id, count in rows}

    def of_cardholder(self, cardholder_id: int) -> list[Card]:
        c = tables.cards.c
        return list(
            self.session.scalars(
                sa.select(Card).where(c.cardholder_id == cardholder_id).order_by(c.issued_on.desc())
            )
        )

    def scheme_ids_of_cardholder(self, cardholder_id: int) -> set[int]:
        c = tables.cards.c
        return set(
            self.session.scalars(
                sa.select(c.scheme_id).where(c.cardholder_id == cardholder_id).distinct()
            )
        )

    def search(
        self,
        *,
        scheme_id: int | None,
        surname_key: str = "",
        number_prefix: str = "",
        limit: int = 50,
    ) -> list[Card]:
        """Cards by the start of their number or by their holder's surname key."""
        c, h = tables.cards.c, tables.cardholders.c
        query = sa.select(Card).join(tables.cardholders, h.id == c.cardholder_id)
        if scheme_id is not None:
            query = query.where(c.scheme_id == scheme_id)
        if number_prefix:
            query = query.where(c.number.startswith(number_prefix, autoescape=True))
        if surname_key:
            # "Starts with": keys hold no LIKE wildcards once these two are taken out.
            prefix = surname_key.replace("%", "").replace("_", "")
            query = query.where(h.surname_key.like(prefix + "%"))
        return list(self.session.scalars(query.order_by(c.number).limit(limit)))


def _checkpoint(row) -> Checkpoint:
    return Checkpoint(row.seq, row.hash, row.made_at, row.kid, row.document, row.id)


class AuditRepository(_Repository):
    def append(self, event: AuditEvent) -> None:
        """Link ``event`` to the chain's last event and store it; waits for other writers."""
        head = tables.audit_head
        row = self.session.execute(
            sa.select(head.c.seq, head.c.hash).where(head.c.id == 1).with_for_update()
        ).first()
        seq, prev = (row.seq, row.hash) if row else (0, GENESIS)
        event.seal(seq=seq + 1, prev_hash=prev)
        self.session.add(event)
        if row is None:
            self.session.execute(head.insert().values(id=1, seq=event.seq, hash=event.hash))
        else:
            self.session.execute(
                head.update().where(head.c.id == 1).values(seq=event.seq, hash=event.hash)
            )
        self.session.flush()

    def head(self) -> tuple[int, str]:
        """The sequence number and hash of the last event appended (0 and GENESIS if none)."""
        head = tables.audit_head
        row = self.session.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).first()
        return (row.seq, row.hash) if row else (0, GENESIS)

    def in_order(self, batch: int = 5000):
        """Every event by sequence, streamed in batches."""
        last = 0
        a = tables.audit_events.c
        while True:
            events = list(
                self.session.scalars(
                    sa.select(AuditEvent).where(a.seq > last).order_by(a.seq).limit(batch)
                )
            )
            yield from events
            if len(events) < batch:
                return
            last = events[-1].seq
            self.session.expunge_all()

    def hashes_at(self, seqs: list[int]) -> dict[int, str]:
        """The hash of each of these events that exists."""
        a = tables.audit_events.c
        found: dict[int, str] = {}
        for start in range(0, len(seqs), 500):
            query = sa.select(a.seq, a.hash).where(a.seq.in_(seqs[start : start + 500]))
            found.update({seq: hash_ for seq, hash_ in self.session.execute(query)})
        return found

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        c = tables.audit_checkpoints
        checkpoint.id = self.session.execute(
            c.insert()
            .values(
                seq=checkpoint.seq,
                hash=checkpoint.hash,
                made_at=checkpoint.made_at,
                kid=checkpoint.kid,
                document=checkpoint.document,
            )
            .returning(c.c.id)
        ).scalar_one()

    def checkpoints(self, *, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        """Checkpoints past sequence number ``after``, oldest first."""
        c = tables.audit_checkpoints.c
        query = sa.select(tables.audit_checkpoints).where(c.seq > after).order_by(c.seq)
        if limit is not None:
            query = query.limit(limit)
        return [_checkpoint(row) for row in self.session.execute(query)]

    def last_checkpoint(self) -> Checkpoint | None:
        c = tables.audit_checkpoints.c
        row = self.session.execute(
            sa.select(tables.audit_checkpoints).order_by(c.seq.desc()).limit(1)
        ).first()
        return None if row is None else _checkpoint(row)

    def for_entity(self, entity_type: str, entity_id: str) -> list[AuditEvent]:
        a = tables.audit_events.c
        return list(
            self.session.scalars(
                sa.select(AuditEvent)
                .where(a.entity_type == entity_type, a.entity_id == entity_id)
                .order_by(a.seq)
            )
        )
