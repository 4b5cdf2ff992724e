"""Which database a bind talks to: the one test for the places whose SQL differs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def is_postgresql(bind: sa.Engine | sa.Connection) -> bool:
    return bind.dialect.name == "postgresql"


def written(result: sa.Result[Any]) -> sa.CursorResult[Any]:
    """A write's result as what it is: a cursor's, with the rows it changed and the key it
    inserted (``Session.execute`` is typed as returning any result)."""
    return cast("sa.CursorResult[Any]", result)


def inserted_id(result: sa.Result[Any]) -> int:
    """The key an INSERT of one row gave it."""
    key = written(result).inserted_primary_key
    assert key is not None  # an INSERT's result has one
    return int(key[0])


IN_LIST_CHUNK = 5000  # far below SQLite's 32,766 bound parameters a statement


def one_of(bind: sa.Engine | sa.Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)`` for a batch of thousands: one array parameter on PostgreSQL
    (``= ANY(...)``: one bound value, where 50,000 in an IN list cost seconds of parsing in
    the driver), a plain IN list of at most :data:`IN_LIST_CHUNK` elsewhere (see
    :func:`among` for more)."""
    if is_postgresql(bind):
        array = postgresql.ARRAY(column.type)
        return column == sa.any_(sa.bindparam(None, list(values), type_=array))
    if len(values) > IN_LIST_CHUNK:
        raise ValueError(f"one_of takes at most {IN_LIST_CHUNK} values on SQLite: use among")
    return column.in_(values)


def among(bind: sa.Engine | sa.Connection, column: Any, values: Sequence[Any]) -> Iterator[Any]:
    """:func:`one_of` for any number of values, a statement's worth each: one condition on
    PostgreSQL, IN lists of at most :data:`IN_LIST_CHUNK` on SQLite."""
    if not values:
        return
    if is_postgresql(bind):
        yield one_of(bind, column, values)
        return
    for start in range(0, len(values), IN_LIST_CHUNK):
        yield one_of(bind, column, values[start : start + IN_LIST_CHUNK])
