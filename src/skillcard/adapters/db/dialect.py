"""Which database a bind talks to: the one test for the places whose SQL differs."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa


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


def one_of(bind: sa.Engine | sa.Connection, column: Any, values: list[Any]) -> Any:
    """``column IN (values)`` for a batch of thousands: one array parameter on PostgreSQL
    (``= ANY(...)``: one bound value, not thousands for the driver to splice and the server
    to parse), a plain IN elsewhere."""
    if is_postgresql(bind):
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
