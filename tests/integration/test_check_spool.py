"""The check log's spool (adapters/check_spool.py): the lines of checks answered while the
primary is down are kept on the host, up to a stated bound, and written to the primary when it
is back, each once; kept while it is still down. On SQLite and PostgreSQL as the primary."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from skillcard.adapters import check_spool
from skillcard.adapters.check_spool import CheckSpool
from skillcard.adapters.db import tables
from skillcard.adapters.db.engine import make_engine
from skillcard.domain.checks import Check, CheckMethod, CheckOutcome

AT = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def _check(minute: int, outcome=CheckOutcome.VALID) -> Check:
    return Check(
        checked_at=AT + dt.timedelta(minutes=minute),
        method=CheckMethod.NUMBER,
        outcome=outcome,
        scheme_id=1,
        client_key=f"client-{minute}",
        warnings="expiring_soon" if minute == 1 else "",
    )


def _logged(engine) -> list[tuple]:
    c = tables.checks.c
    query = sa.select(c.checked_at, c.outcome, c.client_key, c.warnings).order_by(c.checked_at)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def test_kept_lines_are_written_once_when_the_primary_is_back(engine, tmp_path):
    spool = CheckSpool(tmp_path / "spool.db")
    for minute in range(3):
        assert spool.put(_check(minute, CheckOutcome.NO_MATCH if minute == 2 else "valid"))
    down = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    with pytest.raises(sa.exc.OperationalError):
        spool.drain(down)  # still down: nothing lost
    down.dispose()
    assert spool.pending() == 3 and _logged(engine) == []

    assert spool.drain(engine) == 3
    assert spool.pending() == 0 and spool.drain(engine) == 0
    logged = _logged(engine)
    assert [(row[1], row[2], row[3]) for row in logged] == [
        ("valid", "client-0", ""),
        ("valid", "client-1", "expiring_soon"),
        ("no_match", "client-2", ""),
    ]
    first = logged[0][0]
    assert (first if first.tzinfo else first.replace(tzinfo=dt.UTC)) == AT


def test_past_its_bound_a_line_is_dropped_and_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(check_spool, "MAX_SPOOLED", 2)
    spool = CheckSpool(tmp_path / "spool.db")
    assert spool.put(_check(0)) and spool.put(_check(1))
    assert not spool.put(_check(2))
    assert (spool.pending(), spool.dropped) == (2, 1)
