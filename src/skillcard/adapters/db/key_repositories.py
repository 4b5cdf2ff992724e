"""Signing keys and status lists, read and written with SQLAlchemy Core. They never commit.
Their moments come back aware in UTC on either database (see aware_datetime.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from skillcard.adapters.db import tables, tables_trust
from skillcard.adapters.db.dialect import among, inserted_id, written
from skillcard.domain.signing import SigningKeyRecord
from skillcard.domain.trust import KeyHolder, KeyStatus
from skillcard.services.ports.keys import StoredStatusList


def _record(row) -> SigningKeyRecord:
    return SigningKeyRecord(
        kid=row.kid,
        scheme_id=row.scheme_id,
        public_key=bytes(row.public_key),
        private_key_encrypted=(
            None if row.private_key_encrypted is None else bytes(row.private_key_encrypted)
        ),
        valid_from=row.valid_from,
        status=KeyStatus(row.status),
        valid_until=row.valid_until,
        verify_until=row.verify_until,
        holder=KeyHolder(row.holder),
        id=row.id,
    )


class SigningKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: SigningKeyRecord) -> bool:
        """Store a key; False, with nothing stored, if it would be a second current hub-held
        key of its scheme (another transaction made one first: the caller reads that one), or
        a scheme's key whose kid is already stored. The
        insert runs in a savepoint, so the caller's transaction carries on either way."""
        insert = tables_trust.signing_keys.insert().values(
            kid=key.kid,
            scheme_id=key.scheme_id,
            public_key=key.public_key,
            private_key_encrypted=key.private_key_encrypted,
            status=str(key.status),
            valid_from=key.valid_from,
            valid_until=key.valid_until,
            verify_until=key.verify_until,
            holder=str(key.holder),
        )
        try:
            with self.session.begin_nested():
                key.id = inserted_id(self.session.execute(insert))
        except exc.IntegrityError:
            if key.holder == KeyHolder.SCHEME:
                return False  # its kid was registered by another transaction just now
            if key.status != KeyStatus.CURRENT or self.current(key.scheme_id) is None:
                raise
            return False
        return True

    def save(self, key: SigningKeyRecord) -> None:
        """Write back a key's status and windows (the key material never changes)."""
        k = tables_trust.signing_keys.c
        self.session.execute(
            tables_trust.signing_keys.update()
            .where(k.id == key.id)
            .values(
                status=str(key.status), valid_until=key.valid_until, verify_until=key.verify_until
            )
        )

    def current(self, scheme_id: int | None, *, lock: bool = False) -> SigningKeyRecord | None:
        """The hub-held key that signs for a scheme (None: the hub) now; the newest if, after
        a race, there are two. None for a scheme that holds its own keys."""
        k = tables_trust.signing_keys.c
        owner = k.scheme_id.is_(None) if scheme_id is None else k.scheme_id == scheme_id
        query = (
            sa.select(tables_trust.signing_keys)
            .where(owner, k.status == str(KeyStatus.CURRENT), k.holder == str(KeyHolder.HUB))
            .order_by(k.valid_from.desc(), k.id.desc())
        )
        row = self.session.execute(query.with_for_update() if lock else query).first()
        return _record(row) if row else None

    def all(self) -> list[SigningKeyRecord]:
        k = tables_trust.signing_keys.c
        query = sa.select(tables_trust.signing_keys).order_by(k.scheme_id, k.id)
        rows = self.session.execute(query)
        return [_record(row) for row in rows]

    def scheme_ids_with_current_key(self) -> set[int | None]:
        """Who needs no hub-held key made: the hub and schemes with a current hub-held key,
        and every scheme that holds its own keys (current or not)."""
        k = tables_trust.signing_keys.c
        hub_held = (k.status == str(KeyStatus.CURRENT)) & (k.holder == str(KeyHolder.HUB))
        own = k.holder == str(KeyHolder.SCHEME)
        return set(self.session.scalars(sa.select(k.scheme_id).where(hub_held | own).distinct()))

    def by_kid(self, kid: str, *, lock: bool = False) -> SigningKeyRecord | None:
        k = tables_trust.signing_keys.c
        query = sa.select(tables_trust.signing_keys).where(k.kid == kid)
        row = self.session.execute(query.with_for_update() if lock else query).first()
        return _record(row) if row else None

    def holds_own_keys(self, scheme_id: int) -> bool:
        """Whether the scheme has ever registered a key of its own: the hub then signs none
        of its cards."""
        k = tables_trust.signing_keys.c
        found = sa.select(k.id).where(k.scheme_id == scheme_id, k.holder == str(KeyHolder.SCHEME))
        return self.session.execute(found.limit(1)).first() is not None


class StatusListRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scheme_id: int, *, lock: bool = False) -> StoredStatusList | None:
        s = tables_trust.status_lists.c
        query = sa.select(tables_trust.status_lists).where(s.scheme_id == scheme_id)
        row = self.session.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        return StoredStatusList(
            row.scheme_id,
            row.issued,
            row.ttl,
            bytes(row.bits),
            bytes(row.suspended),
            row.kid,
            row.document,
        )

    def put(self, stored: StoredStatusList) -> None:
        s = tables_trust.status_lists.c
        values = {
            "issued": stored.issued,
            "ttl": stored.ttl,
            "bits": stored.bits,
            "suspended": stored.suspended,
            "kid": stored.kid,
            "document": stored.document,
        }
        done = written(
            self.session.execute(
                tables_trust.status_lists.update()
                .where(s.scheme_id == stored.scheme_id)
                .values(**values)
            )
        )
        if done.rowcount == 0:
            self.session.execute(
                tables_trust.status_lists.insert().values(scheme_id=stored.scheme_id, **values)
            )

    # --- entries (see domain/status_indexes.py) ----------------------------------------------

    def space(self, scheme_id: int, *, lock: bool = False) -> tuple[int, int] | None:
        """The scheme's (entries, allocated), locked until commit when asked."""
        sp = tables_trust.status_index_spaces.c
        query = sa.select(sp.entries, sp.allocated).where(sp.scheme_id == scheme_id)
        row = self.session.execute(query.with_for_update() if lock else query).first()
        return None if row is None else (row.entries, row.allocated)

    def save_space(self, scheme_id: int, entries: int, allocated: int) -> None:
        table, sp = tables_trust.status_index_spaces, tables_trust.status_index_spaces.c
        values = {"entries": entries, "allocated": allocated}
        done = written(
            self.session.execute(table.update().where(sp.scheme_id == scheme_id).values(values))
        )
        if done.rowcount == 0:
            self.session.execute(table.insert().values(scheme_id=scheme_id, **values))

    def is_taken(self, scheme_id: int, index: int) -> bool:
        e = tables_trust.status_entries.c
        found = sa.select(e.card_id).where(e.scheme_id == scheme_id, e.status_index == index)
        return self.session.execute(found).first() is not None

    def taken(self, scheme_id: int) -> set[int]:
        e = tables_trust.status_entries.c
        return set(self.session.scalars(sa.select(e.status_index).where(e.scheme_id == scheme_id)))

    def taken_among(self, scheme_id: int, indexes: list[int]) -> set[int]:
        """Which of ``indexes`` the scheme's cards hold already (a batch's draws checked in
        one query, rather than reading every entry of a large scheme)."""
        if not indexes:
            return set()
        e = tables_trust.status_entries.c
        taken: set[int] = set()
        # A batch of 5,000 new cards draws 10,000 candidates: more than one IN list on SQLite.
        for condition in among(self.session.connection(), e.status_index, indexes):
            found = sa.select(e.status_index).where(e.scheme_id == scheme_id, condition)
            taken.update(self.session.scalars(found))
        return taken

    def add_entry(self, card, index: int, until: dt.date | None = None) -> bool:
        """Give the card (just added, maybe) the entry (its current one, or with ``until`` one
        listed until then: a phone's device credential); False if another transaction took
        it first."""
        self.session.flush()  # the card's id
        values = {
            "scheme_id": card.scheme_id,
            "status_index": index,
            "card_id": card.id,
            "until": until,
        }
        try:
            with self.session.begin_nested():  # a savepoint: the collision alone rolls back
                self.session.execute(tables_trust.status_entries.insert().values(values))
        except exc.IntegrityError:
            return False
        return True

    def current_entry(self, card_id: int) -> int | None:
        e = tables_trust.status_entries.c
        return self.session.scalar(
            sa.select(e.status_index).where(e.card_id == card_id, e.until.is_(None))
        )

    def retire_entry(self, card_id: int, until: dt.date) -> None:
        """The card's current entry becomes an old one, listed until ``until``."""
        e = tables_trust.status_entries.c
        self.session.execute(
            tables_trust.status_entries.update()
            .where(e.card_id == card_id, e.until.is_(None))
            .values(until=until)
        )

    def entries_of_ids(self, card_ids: Sequence[int], today: dt.date) -> list[tuple[int, int]]:
        """(card id, entry) of the cards' entries still listed on ``today`` (a mass
        revocation asks for 50,000)."""
        self.session.flush()  # a successor just added
        e = tables_trust.status_entries.c
        found: list[tuple[int, int]] = []
        for among_ids in among(self.session.connection(), e.card_id, list(card_ids)):
            rows = self.session.execute(
                sa.select(e.card_id, e.status_index).where(
                    among_ids, sa.or_(e.until.is_(None), e.until >= today)
                )
            )
            found += [(row.card_id, row.status_index) for row in rows]
        return found

    def listed_entries(self, scheme_id: int, today: dt.date) -> list[tuple[int, str]]:
        """(entry, card status) of the scheme's cards that are not active, for every entry
        still listed on ``today``: what a list marks."""
        self.session.flush()  # the card changed in this transaction must be seen as changed
        c, e = tables.cards.c, tables_trust.status_entries.c
        rows = self.session.execute(
            sa.select(e.status_index, c.status)
            .join(tables.cards, c.id == e.card_id)
            .where(
                c.scheme_id == scheme_id,
                c.status.in_(("suspended", "revoked", "replaced")),
                sa.or_(e.until.is_(None), e.until >= today),
            )
        )
        return [(row.status_index, str(row.status)) for row in rows]

    def latest_expiry(self, scheme_id: int) -> dt.date | None:
        c = tables.cards.c
        return self.session.scalar(
            sa.select(sa.func.max(c.expires_on)).where(c.scheme_id == scheme_id)
        )
