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


def among(
    bind: sa.Engine | sa.Connection, column: sa.ColumnElement[int], ids: Sequence[int]
) -> Iterator[sa.ColumnElement[bool]]:
    """Conditions saying ``column`` is one of ``ids``, a statement's worth each: on PostgreSQL
    one array parameter (``= ANY(:ids)``: 50,000 ids in an IN list cost seconds of parsing
    in the driver), on SQLite IN lists of at most :data:`IN_LIST_CHUNK`."""
    if not ids:
        return
    if is_postgresql(bind):
        yield column == sa.any_(sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(sa.Integer)))
        return
    for start in range(0, len(ids), IN_LIST_CHUNK):
        yield column.in_(ids[start : start + IN_LIST_CHUNK])
