"""Repositories of the check log and the shared rate-limit counters. They never commit."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from skillcard.adapters.db import tables
from skillcard.adapters.db.dialect import inserted_id, is_postgresql, written
from skillcard.adapters.db.repositories import _Repository
from skillcard.domain.cards import CardFacts, CardStatus
from skillcard.domain.check_judgement import CardKey
from skillcard.domain.checks import CardOnRecord, Check
from skillcard.domain.people import HolderFacts

# The statements of a Smart Check, built once: building them per check cost more than the
# database took to answer them (profiled).
_INSERT_CHECK = tables.checks.insert()
_held, _q = tables.held_qualifications.c, tables.qualifications.c
_QUALIFICATION_TITLES = (
    sa.select(sa.func.coalesce(_q.title, _held.qualification_code))
    .select_from(tables.held_qualifications)
    .outerjoin(tables.qualifications, _q.code == _held.qualification_code)
    .where(_held.cardholder_id == sa.bindparam("holder"), _held.verified.is_(True))
    .order_by(_held.achieved_on, _held.id)
)


def card_facts_query(*also: sa.ColumnElement[Any], one: bool = True) -> sa.Select[Any]:
    """A card's and its holder's facts as :func:`card_on_record` reads them, then ``also``;
    ``one``: of one card, by bind parameters ``scheme_id`` and ``number``."""
    c, h = tables.cards.c, tables.cardholders.c
    query = sa.select(
        *(c[name] for name in _CARD_FACTS), *(h[name] for name in _HOLDER_FACTS), *also
    ).join(tables.cardholders, h.id == c.cardholder_id)
    if one:
        query = query.where(
            c.scheme_id == sa.bindparam("scheme_id"), c.number == sa.bindparam("number")
        )
    return query


def public_card_query(*also: sa.ColumnElement[Any], one: bool = True) -> sa.Select[Any]:
    """What a check reads of a card: its facts and the titles of its card type and
    occupation, then ``also`` (``one`` as :func:`card_facts_query`)."""
    c, t, o = tables.cards.c, tables.card_types.c, tables.occupations.c
    return (
        card_facts_query(
            t.title.label("card_type_title"), o.title.label("occupation_title"), *also, one=one
        )
        .join(tables.card_types, t.id == c.card_type_id)
        .outerjoin(tables.occupations, o.id == c.occupation_id)
    )


def card_on_record(row, card_type_title: str, occupation_title: str | None) -> CardOnRecord:
    """A row of :func:`card_facts_query` as the check's rules read it."""
    status, issued_on, expires_on, number, card_id = row[:5]
    card = CardFacts(CardStatus(status), issued_on, expires_on, number, card_id)
    return CardOnRecord(card, HolderFacts(*row[5:10]), card_type_title, occupation_title)


_CARD_FACTS = ("status", "issued_on", "expires_on", "number", "id")
_HOLDER_FACTS = ("given_names", "surname", "surname_key", "photo_sha256", "id")
_PUBLIC_CARD = public_card_query()
# A bulk check's batch of cards on PostgreSQL: (scheme id, number) pairs joined as two arrays,
# a statement that never changes shape (4x faster than the portable form). The columns are
# :func:`public_card_query`'s, then the scheme id.
_PAIRS = sa.text(
    "SELECT c.status, c.issued_on, c.expires_on, c.number, c.id, "
    "h.given_names, h.surname, h.surname_key, h.photo_sha256, h.id, "
    "t.title, o.title, c.scheme_id "
    "FROM unnest(CAST(:schemes AS integer[]), CAST(:numbers AS text[])) AS w(scheme_id, number) "
    "JOIN cards c ON c.scheme_id = w.scheme_id AND c.number = w.number "
    "JOIN cardholders h ON h.id = c.cardholder_id "
    "JOIN card_types t ON t.id = c.card_type_id "
    "LEFT JOIN occupations o ON o.id = c.occupation_id"
)


def insert_many(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert a batch of rows in the session's transaction: PostgreSQL's COPY (a statement
    per row, even pipelined, cost most of a bulk check's time), SQLite's executemany."""
    connection = session.connection()
    if not is_postgresql(connection):
        session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    names = ", ".join(columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN"  # our own table and column names
    raw: Any = connection.connection.driver_connection  # psycopg's, under SQLAlchemy's
    with (
        raw.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in columns])


@functools.cache
def _hit_statement(postgres: bool) -> sa.Insert:
    """The rate counter's upsert, built once per dialect (building it cost more than running
    it: an ON CONFLICT clause, its columns and its cache key, on every check)."""
    r = tables.rate_limit_counters
    insert = postgresql.insert if postgres else sqlite.insert
    return (
        insert(r)
        .values(key=sa.bindparam("key"), window_start=sa.bindparam("window_start"), count=1)
        .on_conflict_do_update(
            index_elements=[r.c.key, r.c.window_start], set_={"count": r.c.count + 1}
        )
        .returning(r.c.count)
    )


@functools.cache
def _add_statement(postgres: bool, rows: int) -> sa.Insert:
    """The budget's upsert of ``rows`` counters at once, built once (as :func:`_hit_statement`)."""
    r = tables.rate_limit_counters
    insert = (postgresql.insert if postgres else sqlite.insert)(r).values(
        [
            {
                "key": sa.bindparam(f"k{i}"),
                "window_start": sa.bindparam(f"w{i}"),
                "count": sa.bindparam(f"n{i}"),
            }
            for i in range(rows)
        ]
    )
    return insert.on_conflict_do_update(
        index_elements=[r.c.key, r.c.window_start],
        set_={"count": r.c.count + insert.excluded.count},
    ).returning(r.c.key, r.c.window_start, r.c.count)


def _autocommit(bind: sa.Engine | sa.Connection) -> sa.Connection:
    """A connection of its own, outside the session's transaction (the session's bind is an
    engine here: a unit of work is made on one)."""
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


class CheckRepository(_Repository):
    """The check log, in SQLAlchemy Core: a check is written once and never changed."""

    def add(self, check: Check) -> None:
        check.id = inserted_id(
            self.session.execute(
                _INSERT_CHECK,
                {
                    "checked_at": check.checked_at,
                    "method": check.method,
                    "outcome": check.outcome,
                    "card_id": check.card_id,
                    "scheme_id": check.scheme_id,
                    "checker_user_id": check.checker_user_id,
                    "client_key": check.client_key,
                    "site": check.site,
                    "synced_at": check.synced_at,
                    "warnings": check.warnings,
                },
            )
        )

    def add_many(self, lines: list[dict[str, Any]]) -> None:
        """A batch's lines (a bulk check's, as ``check_judgement.log_values`` makes them), in
        one statement."""
        if lines:
            insert_many(self.session, tables.checks, lines)

    def card(self, scheme_id: int, number: str, *, surname_key: str) -> CardOnRecord | None:
        """The ORM's :class:`skillcard.domain.check_judgement.CardReader`: the card, its holder
        and the titles of its card type and occupation in one query, the holder's verified
        qualifications in a second one when the surname is theirs."""
        row = self.session.execute(_PUBLIC_CARD, {"scheme_id": scheme_id, "number": number}).first()
        if row is None:
            return None
        found = card_on_record(row, row[10], row[11])
        if not found.belongs_to(surname_key) or found.holder.id is None:
            return found
        return found._replace(qualifications=self.verified_qualification_titles(found.holder.id))

    def cards(self, wanted: Iterable[CardKey]) -> dict[CardKey, CardOnRecord]:
        """Cards by (scheme id, number), a batch of a bulk check in one query, without their
        holders' qualifications. Elsewhere than PostgreSQL, one ``scheme_id = ? AND number IN
        (...)`` per scheme, each using the unique index."""
        by_scheme: dict[int, set[str]] = {}
        for scheme_id, number in wanted:
            by_scheme.setdefault(scheme_id, set()).add(number)
        if not by_scheme:
            return {}
        if is_postgresql(self.session.get_bind()):
            pairs = [(s, n) for s, numbers in by_scheme.items() for n in sorted(numbers)]
            rows = self.session.execute(
                _PAIRS, {"schemes": [s for s, _ in pairs], "numbers": [n for _, n in pairs]}
            )
        else:
            c = tables.cards.c
            # Each batch's mix of schemes is a new statement: caching them would only fill the
            # statement cache (memory growing with the file) for no reuse. This unit of work's
            # connection serves one batch, so it alone goes without the cache.
            connection = self.session.connection().execution_options(compiled_cache=None)
            rows = connection.execute(
                public_card_query(c.scheme_id, one=False).where(
                    sa.or_(
                        *(
                            sa.and_(c.scheme_id == scheme_id, c.number.in_(sorted(numbers)))
                            for scheme_id, numbers in by_scheme.items()
                        )
                    )
                )
            )
        return {(row[12], row[3]): card_on_record(row, row[10], row[11]) for row in rows}

    def verified_qualification_titles(self, cardholder_id: int) -> tuple[str, ...]:
        """Titles of the qualifications the scheme has seen, oldest first, in one query."""
        return tuple(self.session.scalars(_QUALIFICATION_TITLES, {"holder": cardholder_id}))

    def of_card(self, card_id: int) -> list[Check]:
        k = tables.checks.c
        rows = self.session.execute(
            sa.select(tables.checks).where(k.card_id == card_id).order_by(k.checked_at, k.id)
        )
        return [Check(**row._mapping) for row in rows]

    def for_cardholder(self, cardholder_id: int, limit: int = 50):
        """The latest checks of any of a holder's cards, newest first, each with the card's
        number and the checking user's display name (None when anonymous)."""
        k, c, u = tables.checks.c, tables.cards.c, tables.users.c
        query = (
            sa.select(
                k.checked_at,
                k.synced_at,
                k.method,
                k.outcome,
                k.site,
                k.checker_user_id,
                k.client_key,
                c.number.label("card_number"),
                u.display_name.label("checker_name"),
            )
            .join(tables.cards, c.id == k.card_id)
            .outerjoin(tables.users, u.id == k.checker_user_id)
            .where(c.cardholder_id == cardholder_id)
            .order_by(k.checked_at.desc(), k.id.desc())
            .limit(limit)
        )
        return list(self.session.execute(query))


class RateLimitRepository(_Repository):
    """Fixed-window counters, one row per key and window, shared by every server process."""

    def hit(self, key: str, window_start: int) -> int:
        """Count one more hit of ``key`` in the window starting at ``window_start`` and return
        the window's count so far. One statement (an upsert), so processes never lose a hit."""
        bind = self.session.get_bind()
        postgres = is_postgresql(bind)
        statement = _hit_statement(postgres)
        values = {"key": key, "window_start": window_start}
        if postgres:
            # Every check of one client updates one row. In a transaction, its lock would be
            # held until Python got round to COMMIT, and the client's other checks would queue
            # behind it; on its own autocommit connection the lock lasts only the statement.
            with _autocommit(bind) as connection:
                return connection.execute(statement, values).scalar_one()
        return self.session.execute(statement, values).scalar_one()

    def when_counted(self, then) -> None:
        """Call ``then`` once what :meth:`add` counted stands: at once on PostgreSQL (its own
        autocommit connection), at the session's commit on SQLite (never, if it rolls back)."""
        if is_postgresql(self.session.get_bind()):
            then()
        else:
            sa.event.listen(self.session, "after_commit", lambda _session: then(), once=True)

    def add(self, counts: list[tuple[str, int, int]]) -> list[int]:  # type: ignore[override]
        """Add ``amount`` to each ``(key, window_start, amount)`` counter in one statement and
        return their new counts, in the order given (a business's budget: its minute and its
        day). On PostgreSQL on its own autocommit connection, as :meth:`hit`."""
        bind = self.session.get_bind()
        postgres = is_postgresql(bind)
        statement = _add_statement(postgres, len(counts))
        values: dict[str, str | int] = {}
        for i, (key, start, amount) in enumerate(counts):
            values |= {f"k{i}": key, f"w{i}": start, f"n{i}": amount}
        if postgres:
            with _autocommit(bind) as connection:
                found = connection.execute(statement, values).all()
        else:
            found = self.session.execute(statement, values).all()
        counted = {(key, start): count for key, start, count in found}
        return [counted[(k, w)] for k, w, _ in counts]

    def forget_key_before(self, key: str, window_start: int) -> None:
        r = tables.rate_limit_counters.c
        self.session.execute(
            tables.rate_limit_counters.delete().where(r.key == key, r.window_start < window_start)
        )

    def forget_key(self, key: str) -> None:
        self.session.execute(
            tables.rate_limit_counters.delete().where(tables.rate_limit_counters.c.key == key)
        )

    def forget_before(self, window_start: int) -> int:
        """Drop every counter of a window that started before ``window_start``."""
        r = tables.rate_limit_counters
        return written(
            self.session.execute(r.delete().where(r.c.window_start < window_start))
        ).rowcount
