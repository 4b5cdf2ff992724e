"""The API's Smart Check on the event loop (PostgreSQL only): the desk answers and logs as the
threaded check does, its rate counters hold a limit across processes, log lines that arrive
together are all stored, and a lost connection is made again."""

from __future__ import annotations

import asyncio
import datetime as dt

import psycopg
import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.db.async_pool import AsyncPool
from skillcard.adapters.db.check_desk import PostgresCheckDesk
from skillcard.adapters.db.rate_counters import PostgresRateLimiter, lease_size
from skillcard.domain.checks import Check, CheckMethod, CheckOutcome, RateLimit, client_key
from skillcard.errors import InvalidCardNumber, InvalidInput, NotFound, RateLimited
from skillcard.services.checks import checks, online_checks
from skillcard.services.registry import cards
from tests.factories import OPERATOR, add_scheme

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

CLIENT = client_key("203.0.113.9", "test secret")
ROOMY = ("check:anon:roomy", RateLimit(1000, 60))


def run(engine, work, *, pools: int = 1):
    """``work(pools...)`` on a fresh event loop, each pool closed afterwards."""

    async def main():
        opened = [AsyncPool.for_url(engine.url) for _ in range(pools)]
        try:
            for pool in opened:
                await pool.open()
            return await work(*opened)
        finally:
            for pool in opened:
                await pool.close()

    return asyncio.run(main())


def log_lines(engine):
    k = tables.checks.c
    columns = (k.method, k.outcome, k.card_id, k.scheme_id, k.checker_user_id, k.client_key,
               k.site, k.warnings, k.checked_at)  # fmt: skip
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(*columns).order_by(k.id))]


def noon_after(day: dt.date, days: int = 0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(12), tzinfo=dt.UTC)


def test_the_desk_answers_and_logs_as_the_threaded_check_does(registry, uow_factory, engine):
    ann, bob, cy = (registry.cards[k] for k in ("ann", "bob", "cy"))
    issued = cards.show_card(uow=uow_factory(), who=OPERATOR, number=bob).issued_on
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=cy, reason="private")
    checker = registry.principals["biz_checker"]
    cases = [
        dict(number=ann, surname="NUNEZ obrien", now=noon_after(issued)),
        dict(number=bob, surname="Smith", now=noon_after(issued, 3 * 365 - 30)),  # amber
        dict(number=bob, surname="Smith", now=noon_after(issued, 4 * 365)),  # expired
        dict(number=bob, surname="Jones", now=noon_after(issued)),  # someone else's surname
        dict(number=cy, surname="jones", scheme_code="cpcs", now=noon_after(issued)),
        dict(number="ECS00000018", surname="Smith", now=noon_after(issued)),  # no such card
        dict(number=bob, surname="Smith", who=checker, site=" Gate  3 ", now=noon_after(issued)),
    ]
    threaded = []
    for case in cases:
        threaded.append(checks.check_card(uow=uow_factory(), client=CLIENT, **case))
    threaded_lines = log_lines(engine)

    async def on_the_desk(pool):
        desk, limiter = PostgresCheckDesk(pool), PostgresRateLimiter(pool)
        answers = []
        for case in cases:
            result, stored = await online_checks.check_card(
                desk=desk, limiter=limiter, allowance=ROOMY, client=CLIENT, **case
            )
            await stored
            answers.append(result)
        return answers

    desk_answers = run(engine, on_the_desk)
    assert [r.view for r in desk_answers] == [r.view for r in threaded]
    assert [r.view.outcome for r in desk_answers] == [
        "valid", "valid", "expired", "no_match", "suspended", "no_match", "valid",
    ]  # fmt: skip
    assert log_lines(engine)[len(cases) :] == threaded_lines


@pytest.mark.parametrize(
    ("number", "surname", "code", "error"),
    [
        ("ECS00000019", "Smith", None, InvalidCardNumber),  # wrong check digit
        ("XYZ123", "Smith", None, InvalidCardNumber),  # no scheme's prefix
        ("ECS00000018", "Smith", "NOPE", NotFound),
        ("ECS00000018", " - ", None, InvalidInput),
        ("ECS00000018", "x" * 101, None, InvalidInput),
    ],
)
def test_the_desk_refuses_what_the_threaded_check_refuses(
    registry, uow_factory, engine, number, surname, code, error
):
    with pytest.raises(error) as threaded:
        checks.check_card(uow=uow_factory(), number=number, surname=surname, scheme_code=code)

    async def on_the_desk(pool):
        await online_checks.check_card(
            desk=PostgresCheckDesk(pool), limiter=PostgresRateLimiter(pool), allowance=ROOMY,
            number=number, surname=surname, scheme_code=code,
        )  # fmt: skip

    with pytest.raises(error) as on_desk:
        run(engine, on_the_desk)
    assert on_desk.value.message == threaded.value.message
    assert log_lines(engine) == []  # a refused check is no check of any card


def test_a_check_over_the_limit_is_refused_before_anything_is_logged(registry, engine):
    async def on_the_desk(pool):
        desk, limiter = PostgresCheckDesk(pool), PostgresRateLimiter(pool)
        allowance = ("check:anon:tight", RateLimit(2, 60))
        outcomes = []
        for _ in range(3):
            try:
                result, stored = await online_checks.check_card(
                    desk=desk, limiter=limiter, allowance=allowance,
                    number=registry.cards["bob"], surname="Smith",
                )  # fmt: skip
                await stored
                outcomes.append(result.view.outcome.value)
            except RateLimited as refused:
                outcomes.append(refused.code)
        return outcomes

    assert run(engine, on_the_desk) == ["valid", "valid", "rate_limited"]
    assert len(log_lines(engine)) == 2


def test_a_scheme_added_after_the_desk_read_them_is_found_at_once(registry, engine, uow_factory):
    async def find(pool):
        desk = PostgresCheckDesk(pool)
        await desk.scheme_for_number(registry.cards["bob"], None)  # reads the schemes
        add_scheme(uow_factory, "JIB", "JIB")
        await asyncio.sleep(1.1)  # a miss reads them again, at most once a second
        with pytest.raises(InvalidCardNumber):  # the scheme is known: the number is not one
            await desk.scheme_for_number("JIB1", None)
        found, _ = await desk.scheme_for_number("JIB00000018", None)
        return found

    scheme = run(engine, find)
    assert scheme.code == "JIB"


def test_counts_from_two_processes_share_one_limit_exactly(engine):
    """The public allowance is too small to lease from: every hit is counted as it comes."""
    now = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)

    async def hits(first, second):
        limiters = [PostgresRateLimiter(first), PostgresRateLimiter(second)]
        return await asyncio.gather(
            *(limiters[i % 2].allow("check:anon:abc", 25, 60, now) for i in range(60))
        )

    allowed = run(engine, hits, pools=2)
    assert allowed.count(True) == 25 and lease_size(RateLimit(25, 60)) == 1
    with engine.connect() as connection:
        assert connection.scalar(sa.select(tables.rate_limit_counters.c.count)) == 60


def test_a_busy_client_leases_hits_ahead_and_never_passes_its_limit(engine):
    now = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)
    rule = RateLimit(3000, 60)

    async def hits(first, second):
        limiters = [PostgresRateLimiter(first), PostgresRateLimiter(second)]
        allowed = 0
        for _ in range(40):  # 4,000 hits, in bursts of 100 from both processes
            answers = await asyncio.gather(
                *(limiters[i % 2].allow("check:user:7", rule.limit, 60, now) for i in range(100))
            )
            allowed += sum(answers)
        return allowed

    allowed = run(engine, hits, pools=2)
    lease = lease_size(rule)
    assert lease == 30
    assert rule.limit - 2 * lease <= allowed <= rule.limit  # a lease unused is all it costs
    with engine.connect() as connection:
        assert connection.scalar(sa.select(tables.rate_limit_counters.c.count)) >= allowed


def test_hits_one_after_another_are_asked_for_a_lease_at_a_time(engine):
    now = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)

    async def hits(pool):
        limiter = PostgresRateLimiter(pool)
        return [await limiter.allow("check:user:8", 3000, 60, now) for _ in range(300)]

    assert all(run(engine, hits))
    with engine.connect() as connection:  # asked hit by hit with a lease each, it would be 9,000
        assert connection.scalar(sa.select(tables.rate_limit_counters.c.count)) == 300


def test_a_new_window_forgets_the_old_ones(engine):
    start = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)

    async def hits(pool):
        limiter = PostgresRateLimiter(pool)
        assert await limiter.allow("check:anon:abc", 5, 60, start)
        assert await limiter.allow("check:anon:abc", 5, 60, start + dt.timedelta(seconds=60))

    run(engine, hits)
    r = tables.rate_limit_counters.c
    with engine.connect() as connection:
        assert connection.execute(sa.select(r.window_start, r.count)).all() == [(1_777_636_860, 1)]


def test_log_lines_that_arrive_together_are_stored_together_and_a_bad_one_fails_alone(
    registry, engine
):
    moment = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    good = Check(checked_at=moment, method=CheckMethod.NUMBER, outcome=CheckOutcome.NO_MATCH,
                 client_key=CLIENT)  # fmt: skip
    bad = Check(checked_at=moment, method=CheckMethod.NUMBER, outcome=CheckOutcome.NO_MATCH,
                checker_user_id=999_999)  # fmt: skip

    async def record(pool):
        desk = PostgresCheckDesk(pool)
        lines = [good] * 100 + [bad] + [good] * 99
        return await asyncio.gather(*[desk.record(c) for c in lines], return_exceptions=True)

    results = run(engine, record)
    assert [type(r) for r in results].count(psycopg.errors.ForeignKeyViolation) == 1
    assert isinstance(results[100], psycopg.errors.ForeignKeyViolation)
    stored = log_lines(engine)
    assert len(stored) == 199 and {line[:8] for line in stored} == {
        ("number", "no_match", None, None, None, CLIENT, None, "")
    }


def test_a_lost_connection_is_made_again(registry, engine):
    async def look_twice(pool):
        desk = PostgresCheckDesk(pool)
        scheme, number = await desk.scheme_for_number(registry.cards["bob"], None)
        await desk.card(scheme.id, number, surname_key="smith")
        async with pool.connection() as connection:
            mine = connection.info.backend_pid
        with engine.connect() as admin:  # as when PostgreSQL restarts under the server
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": mine})
        found = await desk.card(scheme.id, number, surname_key="smith")
        return found.holder.full_name

    assert run(engine, look_twice) == "Bob Smith"


def test_checks_that_find_the_schemes_stale_read_them_once(registry, engine, monkeypatch):
    """A thousand checks a second, each reading the schemes again when they went stale, had
    the server stall for half a second every 30 s."""
    monkeypatch.setattr("skillcard.domain.scheme_directory.STALE_AFTER_SECONDS", 0.0)

    async def many(pool):
        desk, reads = PostgresCheckDesk(pool), []
        read = pool.read

        async def counted(sql, params=None):
            reads.append(sql)
            return await read(sql, params)

        pool.read = counted
        await desk.scheme_for_number(registry.cards["bob"], None)  # the first reading
        first = len(reads)
        found = await asyncio.gather(
            *(desk.scheme_for_number(registry.cards["bob"], None) for _ in range(100))
        )
        await asyncio.sleep(0.1)  # the reading they started in the background
        return first, len(reads), {scheme.code for scheme, _ in found}

    first, total, codes = run(engine, many)
    assert codes == {"ECS"}
    assert total == 2 * first  # one more reading of the three tables, not a hundred
