"""The scheme connector's repositories: a batch of records read and written a statement at a
time (never a row at a time), and card imports with their per-row results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from skillcard.adapters.db import tables, tables_connector
from skillcard.adapters.db.bulk import bulk_writer
from skillcard.adapters.db.dialect import is_postgresql, one_of
from skillcard.domain.card_records import StoredCard
from skillcard.domain.cards import CardStatus
from skillcard.services.ports.connector import CardImport, HolderOnRecord, ImportRow

_IMPORT_FIELDS = tuple(c.name for c in tables_connector.card_imports.c)
_ROW_COLUMNS = ("import_id", "line", "number", "outcome", "reason", "card_id")
_CHUNK = 5_000  # ids in one IN (...): well under SQLite's limit on bound values


class CardRecordRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _bind(self) -> sa.Connection:
        return self.session.connection()

    def _append(self, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` and give their ids, in order: on PostgreSQL ids are taken from the
        table's sequence in one statement and the rows go in by COPY; elsewhere one INSERT
        with RETURNING."""
        connection = self._bind()
        target = tables.metadata.tables[table]
        if not is_postgresql(connection):
            insert = target.insert().returning(target.c.id, sort_by_parameter_order=True)
            return list(self.session.execute(insert, rows).scalars())
        ids = list(
            connection.exec_driver_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, %(n)s)",
                {"n": len(rows)},
            ).scalars()
        )
        columns = ["id", *rows[0]]
        bulk_writer(connection).append(
            table, columns, ((i, *row.values()) for i, row in zip(ids, rows, strict=True))
        )
        return ids

    def stored(self, scheme_id: int, numbers: list[str]) -> dict[str, StoredCard]:
        if not numbers:
            return {}
        c, h, t = tables.cards.c, tables.cardholders.c, tables.card_types.c
        query = (
            sa.select(
                c.id,
                c.number,
                c.cardholder_id,
                c.source_version,
                h.scheme_ref,
                h.ref_scheme_id,
                h.given_names,
                h.surname,
                h.date_of_birth,
                t.code,
                c.issued_on,
                c.expires_on,
                c.status,
                c.status_reason,
            )
            .join(tables.cardholders, h.id == c.cardholder_id)
            .join(tables.card_types, t.id == c.card_type_id)
            .where(c.scheme_id == scheme_id, one_of(self._bind(), c.number, numbers))
        )
        return {
            row.number: StoredCard(
                id=row.id,
                cardholder_id=row.cardholder_id,
                version=row.source_version,
                holder_ref=row.scheme_ref if row.ref_scheme_id == scheme_id else None,
                given_names=row.given_names,
                surname=row.surname,
                date_of_birth=row.date_of_birth,
                card_type=row.code,
                issued_on=row.issued_on,
                expires_on=row.expires_on,
                status=CardStatus(row.status),
                status_reason=row.status_reason,
            )
            for row in self.session.execute(query)
        }

    def holders(self, scheme_id: int, refs: list[str]) -> dict[str, HolderOnRecord]:
        if not refs:
            return {}
        h = tables.cardholders.c
        query = sa.select(h.id, h.scheme_ref, h.given_names, h.surname, h.date_of_birth).where(
            h.ref_scheme_id == scheme_id, one_of(self._bind(), h.scheme_ref, refs)
        )
        return {
            row.scheme_ref: HolderOnRecord(row.id, row.given_names, row.surname, row.date_of_birth)
            for row in self.session.execute(query)
        }

    def add_holders(self, scheme_id: int, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        return self._append("cardholders", [{**row, "ref_scheme_id": scheme_id} for row in rows])

    def update_holders(self, scheme_id: int, rows: list[dict[str, Any]]) -> None:
        """Each row: ``holder_id`` and the holder's names, date of birth and the scheme's
        reference (a holder of the hub's own adopts the reference sent for them)."""
        if not rows:
            return
        h = tables.cardholders.c
        update = (
            tables.cardholders.update()
            .where(h.id == sa.bindparam("v_holder_id"))
            .values(
                given_names=sa.bindparam("v_given_names"),
                surname=sa.bindparam("v_surname"),
                surname_key=sa.bindparam("v_surname_key"),
                date_of_birth=sa.bindparam("v_date_of_birth"),
                ref_scheme_id=scheme_id,
                scheme_ref=sa.bindparam("v_scheme_ref"),
            )
        )
        self.session.connection().execute(update, _prefixed(rows))

    def add_cards(self, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        return self._append("cards", rows)

    def update_cards(self, rows: list[dict[str, Any]]) -> None:
        """Each row: ``card_id`` and the card's new fields. The stored version is checked
        again in the statement, so a newer version written meanwhile is never overwritten."""
        if not rows:
            return
        c = tables.cards.c
        update = (
            tables.cards.update()
            .where(
                c.id == sa.bindparam("v_card_id"),
                sa.or_(c.source_version.is_(None), c.source_version <= sa.bindparam("v_version")),
            )
            .values(
                card_type_id=sa.bindparam("v_card_type_id"),
                issued_on=sa.bindparam("v_issued_on"),
                expires_on=sa.bindparam("v_expires_on"),
                status=sa.bindparam("v_status"),
                status_reason=sa.bindparam("v_status_reason"),
                source_version=sa.bindparam("v_version"),
            )
        )
        self.session.connection().execute(update, _prefixed(rows))

    def listed_cards(self, scheme_id: int) -> Iterator[tuple[int, str]]:
        """(id, number) of the scheme's cards that are active or suspended, streamed."""
        c = tables.cards.c
        query = sa.select(c.id, c.number).where(
            c.scheme_id == scheme_id, c.status.in_(("active", "suspended"))
        )
        for row in self.session.execute(query, execution_options={"yield_per": 10_000}):
            yield row.id, row.number

    def revoke(self, card_ids: list[int], reason: str) -> None:
        c = tables.cards.c
        for start in range(0, len(card_ids), _CHUNK):
            self.session.execute(
                tables.cards.update()
                .where(c.id.in_(card_ids[start : start + _CHUNK]))
                .values(status="revoked", status_reason=reason)
            )


def _prefixed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A bound value may not share a column's name in an UPDATE's SET: ours are prefixed.
    return [{"v_" + key: value for key, value in row.items()} for row in rows]


class CardImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, card_import: CardImport) -> None:
        values = {name: getattr(card_import, name) for name in _IMPORT_FIELDS}
        self.session.execute(tables_connector.card_imports.insert().values(values))

    def get(self, import_id: str) -> CardImport | None:
        i = tables_connector.card_imports.c
        row = self.session.execute(
            sa.select(tables_connector.card_imports).where(i.id == import_id)
        ).first()
        return None if row is None else CardImport(**row._mapping)

    def update(self, import_id: str, **values: Any) -> None:
        i = tables_connector.card_imports.c
        self.session.execute(
            tables_connector.card_imports.update().where(i.id == import_id).values(values)
        )

    def recent(self, scheme_id: int, limit: int = 20) -> list[CardImport]:
        i = tables_connector.card_imports.c
        rows = self.session.execute(
            sa.select(tables_connector.card_imports)
            .where(i.scheme_id == scheme_id)
            .order_by(i.created_at.desc())
            .limit(limit)
        )
        return [CardImport(**row._mapping) for row in rows]

    def add_rows(self, import_id: str, rows: list[ImportRow]) -> None:
        if not rows:
            return
        values = (
            (import_id, r.line, r.number[:40], r.outcome, r.reason[:500], r.card_id) for r in rows
        )
        bulk_writer(self.session.connection()).append("card_import_rows", _ROW_COLUMNS, values)

    def drop_rows(self, import_id: str) -> None:
        r = tables_connector.card_import_rows.c
        self.session.execute(
            tables_connector.card_import_rows.delete().where(r.import_id == import_id)
        )

    def rows(self, import_id: str) -> Iterator[ImportRow]:
        r = tables_connector.card_import_rows.c
        query = (
            sa.select(r.line, r.number, r.outcome, r.reason, r.card_id)
            .where(r.import_id == import_id)
            .order_by(r.line)
        )
        for row in self.session.execute(query, execution_options={"yield_per": 5_000}):
            yield ImportRow(row.line, row.number, row.outcome, row.reason, row.card_id)

    def changed_cards(self, import_id: str) -> list[tuple[int, str]]:
        r = tables_connector.card_import_rows.c
        query = sa.select(r.card_id, r.outcome).where(
            r.import_id == import_id,
            r.outcome.in_(("created", "updated")),
            r.card_id.is_not(None),
        )
        return [(row.card_id, row.outcome) for row in self.session.execute(query)]


def attach(uow, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.card_records = CardRecordRepository(session)
    uow.card_imports = CardImportRepository(session)
