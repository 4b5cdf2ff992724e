"""Stored moments come back aware, in UTC, on both databases: the one column type
(adapters/db/aware_datetime.py) and every datetime column using it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables, tables_business, tables_hse, tables_mycard, tables_trust
from skillcard.adapters.db.aware_datetime import AwareDateTime

LONDON = ZoneInfo("Europe/London")
KOLKATA = dt.timezone(dt.timedelta(hours=5, minutes=30))
SUMMER_EVENING = dt.datetime(2026, 7, 1, 23, 30, 0, 123456, tzinfo=dt.UTC)

_scratch = sa.MetaData()
moments = sa.Table(
    "scratch_moments",
    _scratch,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", AwareDateTime()),
)


@pytest.fixture
def table(engine):
    _scratch.create_all(engine)
    yield moments
    _scratch.drop_all(engine)


def _store(engine, *values):
    with engine.begin() as connection:
        connection.execute(moments.insert(), [{"id": i, "at": v} for i, v in enumerate(values)])


def _read(engine) -> list[dt.datetime | None]:
    with engine.connect() as connection:
        return list(connection.scalars(sa.select(moments.c.at).order_by(moments.c.id)))


def test_a_moment_given_in_any_zone_comes_back_the_same_instant_in_utc(engine, table):
    in_london = SUMMER_EVENING.astimezone(LONDON)  # 00:30 BST the next day
    in_kolkata = SUMMER_EVENING.astimezone(KOLKATA)
    _store(engine, SUMMER_EVENING, in_london, in_kolkata, None)
    back = _read(engine)
    assert back[:3] == [SUMMER_EVENING] * 3
    assert all(moment.utcoffset() == dt.timedelta(0) for moment in back[:3])
    assert all(moment.tzinfo is dt.UTC for moment in back[:3])
    assert back[3] is None


def test_a_moment_without_a_zone_is_stored_as_utc(engine, table):
    _store(engine, SUMMER_EVENING.replace(tzinfo=None))
    assert _read(engine) == [SUMMER_EVENING]


def test_comparisons_in_sql_compare_instants_not_wall_clocks(engine, table):
    """SQLite compares the stored text: a bound moment in another zone must be put in UTC
    first, or 00:30 BST would sort before 23:30 UTC of the day before."""
    _store(engine, SUMMER_EVENING)
    just_after = (SUMMER_EVENING + dt.timedelta(minutes=1)).astimezone(LONDON)
    just_before = (SUMMER_EVENING - dt.timedelta(minutes=1)).astimezone(KOLKATA)
    with engine.connect() as connection:
        count = sa.select(sa.func.count()).select_from(moments)
        assert connection.scalar(count.where(moments.c.at < just_after)) == 1
        assert connection.scalar(count.where(moments.c.at > just_before)) == 1
        assert connection.scalar(count.where(moments.c.at > just_after)) == 0


def test_what_each_database_alone_gives_back_is_put_right(engine, table):
    """SQLite stores the UTC wall clock as text, with no zone; PostgreSQL gives the instant in
    the session's zone. Both come back aware in UTC through the column type."""
    _store(engine, SUMMER_EVENING.astimezone(LONDON))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TIME ZONE 'Asia/Tokyo'")
            raw = connection.exec_driver_sql("SELECT at FROM scratch_moments").scalar()
            assert raw.utcoffset() == dt.timedelta(hours=9)
        else:
            raw = connection.exec_driver_sql("SELECT at FROM scratch_moments").scalar()
            assert raw == "2026-07-01 23:30:00.123456"
        typed = connection.scalar(sa.select(moments.c.at))
    assert typed == SUMMER_EVENING and typed.tzinfo is dt.UTC


def test_a_non_datetime_is_refused_before_it_reaches_the_database(engine, table):
    with pytest.raises(sa.exc.StatementError, match="must be a datetime"):
        _store(engine, "2026-07-01T23:30:00")


def test_every_stored_moment_uses_the_one_column_type():
    assert tables_business and tables_hse and tables_mycard and tables_trust  # all on one metadata
    columns = [c for t in tables.metadata.tables.values() for c in t.columns]
    moments_ = [c for c in columns if isinstance(c.type, sa.DateTime | AwareDateTime)]
    assert len(moments_) >= 50
    wrong = [f"{c.table.name}.{c.name}" for c in moments_ if not isinstance(c.type, AwareDateTime)]
    assert wrong == []
