"""The one column type of every stored moment: written as UTC, read back aware in UTC.

SQLite has no time zone type: SQLAlchemy writes a datetime's wall-clock digits and drops its
zone (so a moment given in another zone would be stored hours out) and reads them back
without one. PostgreSQL's ``timestamptz`` keeps the instant but hands it back in the
session's zone. Both are settled here, once, instead of by a patch wherever a stored moment
is read.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class AwareDateTime(sa.types.TypeDecorator[dt.datetime]):
    """``timestamp with time zone`` on PostgreSQL, ``DATETIME`` text on SQLite (no schema
    change from ``sa.DateTime(timezone=True)``)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"a stored moment must be a datetime, not {type(value).__name__}")
        # A moment without a zone is UTC by the house rule (see docs/architecture.md).
        return _in_utc(value)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else _in_utc(value)

    @property
    def python_type(self) -> type[dt.datetime]:
        return dt.datetime


def _in_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
