"""The HSE answer saved on the event loop (PostgreSQL only) against the same save in a worker
thread: the same clicks, refusals and endings give the same answers and store the same rows,
answers to one attempt sent together are saved one after another, and a lost connection is
made again."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import psycopg
import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables, tables_hse
from skillcard.adapters.db.answer_desk import PostgresAnswerDesk
from skillcard.adapters.db.async_pool import AsyncPool
from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.item_bank_csv import demo_items
from skillcard.domain.assessment import AssessmentSettings
from skillcard.errors import Unavailable
from skillcard.services.accounts import accounts
from skillcard.services.hse import answers_online, hse_attempts, hse_bank, invigilation
from tests.factories import OPERATOR
from tests.integration.test_hse_attempts import T0, started

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def world(registry, uow_factory, engine, tmp_path):
    """Ann's attempt and Bob's, drawn from the same seed (so the same paper), each with a
    token of its candidate's, and tokens that must be refused."""
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    store = InvigilationFileStore(tmp_path / "files")
    world = {}
    for key in ("ann", "bob"):
        email = registry.emails[key]
        world[key] = {
            "attempt": started(uow_factory, store, registry.principals[key]),
            "token": accounts.create_api_token(
                uow=uow_factory(), who=OPERATOR, email=email, name="own", days=30, now=T0
            ),
            "expired": accounts.create_api_token(
                uow=uow_factory(), who=OPERATOR, email=email, name="old", days=1, now=T0 - DAYS
            ),
            "revoked": accounts.create_api_token(
                uow=uow_factory(), who=OPERATOR, email=email, name="gone", days=30, now=T0
            ),
            "user_id": registry.principals[key].user_id,
            "who": registry.principals[key],
        }
        digest = accounts.token_hash(world[key]["revoked"])
        with engine.begin() as connection:
            connection.execute(
                sa.update(tables.api_tokens)
                .where(tables.api_tokens.c.token_hash == digest)
                .values(revoked_at=T0 - DAYS)
            )
    world["hub"] = registry.principals["hub"]
    world["admin"] = accounts.create_api_token(
        uow=uow_factory(), who=OPERATOR, email=registry.emails["hub"], name="a", days=30, now=T0
    )
    return world


DAYS = dt.timedelta(days=10)


def threaded(uow_factory, engine, token, **answer):
    return hse_attempts.save_answer(uow=uow_factory(), who=token, **answer)


def on_the_desk(uow_factory, engine, token, **answer):
    """As the API saves on PostgreSQL: on the desk, or in a worker thread when the answer
    must first end the attempt or note a missed check (``web/api/hse.py``)."""

    async def main():
        pool = AsyncPool.for_url(engine.url, connections=2)
        await pool.open()
        try:
            desk = PostgresAnswerDesk(pool)
            return await answers_online.save_answer(desk=desk, who=token, **answer)
        finally:
            await pool.close()

    saved = asyncio.run(main())
    return saved if saved is not None else threaded(uow_factory, engine, token, **answer)


def outcome(door, uow_factory, engine, token, attempt_id, **answer):
    """What the candidate is told, with the attempt's own id taken out."""
    try:
        saved = door(uow_factory, engine, token, attempt_id=attempt_id, **answer)
    except Exception as error:  # every refusal is compared, whatever its kind
        return type(error).__name__, re.sub(rf"\b{attempt_id}\b", "N", str(error))
    return "saved", saved.seq, saved.seconds_left, saved.server_now


def stored(engine, attempt_id, user_id):
    """The attempt's answers, its state and events, and its candidate's tokens' last use."""
    a, s, e = tables_hse.hse_attempts.c, tables_hse.hse_answers.c, tables_hse.hse_events.c
    k = tables.api_tokens.c
    with engine.connect() as connection:
        return {
            "attempt": connection.execute(
                sa.select(
                    a.state,
                    a.answer_seq,
                    a.submitted_at,
                    a.violations,
                    a.score,
                    a.attention_due,
                    a.failed_by_violation,
                ).where(a.id == attempt_id)
            ).one(),
            "answers": connection.execute(
                sa.select(s.item_id, s.choice, s.seq, s.answered_at)
                .where(s.attempt_id == attempt_id)
                .order_by(s.item_id)
            ).all(),
            "events": connection.execute(
                sa.select(e.kind, e.occurred_at, e.violation)
                .where(e.attempt_id == attempt_id)
                .order_by(e.id)
            ).all(),
            "tokens": connection.execute(
                sa.select(k.name, k.last_used_at).where(k.user_id == user_id).order_by(k.id)
            ).all(),
        }


def every_case(uow_factory, engine, world, door, me, other):
    """Clicks good and bad, then the deadline, in order, through ``door``: what each got."""
    mine = world[me]
    attempt_id = mine["attempt"]
    with uow_factory() as uow:
        form = uow.hse_attempts.get(attempt_id).form_item_ids()
    first, second = form[0], form[1]

    def send(token=mine["token"], item=first, choice=0, seq=1, seconds=1, attempt=attempt_id):
        at = T0 + dt.timedelta(seconds=seconds)
        got = outcome(door, uow_factory, engine, token, attempt, item_id=item, choice=choice,
                      seq=seq, now=at)  # fmt: skip
        return got

    got = [
        send(),  # saved
        send(seconds=2),  # the same seq again: a replay
        send(item=999_999, seq=2, seconds=3),  # not on the paper
        send(choice=9, seq=2, seconds=4),  # not an option
        send(choice=None, seq=3, seconds=5),  # cleared
        send(token=world[other]["token"], seq=4, seconds=6),  # another's attempt
        send(token="not-a-token", seq=4),
        send(token="", seq=4),
        send(token=mine["expired"], seq=4),
        send(token=mine["revoked"], seq=4),
        send(token=world["admin"], seq=4),
        send(attempt=999_999, seq=4),
    ]
    # An attention check missed, under "flag": the next answer notes it and is saved.
    invigilation.show_attention(
        uow=uow_factory(), who=mine["who"], attempt_id=attempt_id, now=T0 + dt.timedelta(seconds=7)
    )
    got.append(send(item=second, choice=2, seq=4, seconds=90))
    got.append(send(item=second, choice=1, seq=5, seconds=120))  # token's use noted again
    # Past the deadline: the answer is refused and the attempt handed in with what it has.
    got.append(send(item=form[2], choice=1, seq=6, seconds=31 * 60))
    got.append(send(item=form[2], choice=1, seq=7, seconds=32 * 60))
    set_active(engine, mine["user_id"], False)  # the account closed: its tokens no longer work
    got.append(send(seq=8, seconds=33 * 60))
    set_active(engine, mine["user_id"], True)
    return got, stored(engine, attempt_id, mine["user_id"])


def paper(engine, attempt_id: int) -> list[int]:
    """The attempt's questions (item ids), in their order."""
    a = tables_hse.hse_attempts.c
    with engine.connect() as connection:
        form = connection.execute(sa.select(a.form).where(a.id == attempt_id)).scalar_one()
    return [int(entry[0]) for entry in form]


def set_active(engine, user_id: int, active: bool) -> None:
    with engine.begin() as connection:
        users = tables.users.c
        connection.execute(sa.update(tables.users).where(users.id == user_id).values(active=active))


REFUSED_OR_SAVED = [
    "saved", "Conflict", "InvalidInput", "InvalidInput", "saved", "NotFound",
    "NotAuthenticated", "NotAuthenticated", "SessionExpired", "NotAuthenticated",
    "PermissionDenied", "NotFound", "saved", "saved", "Conflict", "Conflict", "NotAuthenticated",
]  # fmt: skip


def test_both_doors_answer_alike_and_store_the_same_rows(world, uow_factory, engine):
    by_thread, kept_by_thread = every_case(uow_factory, engine, world, threaded, "ann", "bob")
    on_desk, kept_on_desk = every_case(uow_factory, engine, world, on_the_desk, "bob", "ann")
    assert on_desk == by_thread
    assert kept_on_desk == kept_by_thread
    # and what both say is what the rules say
    assert [got[0] for got in by_thread] == REFUSED_OR_SAVED
    assert "time for this attempt is up" in by_thread[14][1]
    state, seq, submitted_at, violations, *_ = kept_by_thread["attempt"]
    assert (state, seq, violations) == ("timed_out", 5, 1)
    assert submitted_at == T0 + dt.timedelta(minutes=30)
    kinds = [event.kind for event in kept_by_thread["events"]]
    assert kinds == ["started", "attention_shown", "attention_missed", "timed_out"]
    answers = {row.item_id: (row.choice, row.seq) for row in kept_by_thread["answers"]}
    assert sorted(answers.values(), key=lambda v: v[1]) == [(None, 3), (1, 5)]
    last_use = {token.name: token.last_used_at for token in kept_by_thread["tokens"]}
    # noted once a minute at most, in the answer's transaction: the timed-out one committed
    assert last_use["own"] == T0 + dt.timedelta(minutes=31)
    assert last_use["old"] is None and last_use["gone"] is None


def test_a_signed_in_candidate_is_answered_alike_by_both_doors(world, uow_factory, engine):
    """The page's answers: the candidate known from their page session, not a token."""
    got = {}
    for door, me, other in ((threaded, "ann", "bob"), (on_the_desk, "bob", "ann")):
        attempt_id, who = world[me]["attempt"], world[me]["who"]
        item = paper(engine, attempt_id)[0]

        def send(as_who, seq, seconds, attempt_id=attempt_id, item=item, door=door):
            at = T0 + dt.timedelta(seconds=seconds)
            return outcome(door, uow_factory, engine, as_who, attempt_id, item_id=item,
                           choice=seq % 4, seq=seq, now=at)  # fmt: skip

        said = [
            send(who, 1, 1),
            send(who, 1, 2),  # a replay
            send(world[other]["who"], 2, 3),  # another's attempt
            send(world["hub"], 2, 4),  # not a candidate
            send(who, 2, 5),
            send(who, 3, 31 * 60),  # past the deadline
        ]
        got[me] = said, stored(engine, attempt_id, world[me]["user_id"])
    assert got["bob"] == got["ann"]
    said, kept = got["ann"]
    assert [s[0] for s in said] == [
        "saved", "Conflict", "NotFound", "PermissionDenied", "saved", "Conflict",
    ]  # fmt: skip
    assert kept["attempt"].state == "timed_out" and kept["attempt"].answer_seq == 2
    assert all(token.last_used_at is None for token in kept["tokens"])  # no token was used


def test_a_missed_check_under_fail_ends_the_attempt_whichever_door(world, uow_factory, engine):
    with uow_factory() as uow:
        assessment = uow.hse_assessments.by_code("HSE")
        assessment.settings_data = AssessmentSettings(violation_policy="fail").to_dict()
        uow.commit()
    got = {}
    for door, me in ((threaded, "ann"), (on_the_desk, "bob")):
        attempt_id, who = world[me]["attempt"], world[me]["who"]
        invigilation.show_attention(uow=uow_factory(), who=who, attempt_id=attempt_id, now=T0)
        with uow_factory() as uow:
            item = uow.hse_attempts.get(attempt_id).form_item_ids()[0]
        late = T0 + dt.timedelta(minutes=2)
        said = outcome(door, uow_factory, engine, world[me]["token"], attempt_id, item_id=item,
                       choice=0, seq=1, now=late)  # fmt: skip
        got[me] = said, stored(engine, attempt_id, world[me]["user_id"])
    assert got["bob"] == got["ann"]
    (kind, message), kept = got["ann"]
    assert kind == "Conflict" and "attention check was missed" in message
    assert kept["attempt"].state == "submitted" and kept["attempt"].failed_by_violation
    assert kept["answers"] == []


def test_answers_sent_together_are_saved_one_after_another(world, engine):
    """A browser that resends, or two tabs: the attempt's row is locked for each answer, so
    every one is either saved or refused as a replay, and the highest seq is the last."""
    attempt_id, token = world["ann"]["attempt"], world["ann"]["token"]
    items = paper(engine, attempt_id)

    async def together():
        pool = AsyncPool.for_url(engine.url, connections=4)
        await pool.open()
        try:
            desk = PostgresAnswerDesk(pool)

            async def send(seq):
                try:
                    await answers_online.save_answer(
                        desk=desk, who=token, attempt_id=attempt_id,
                        item_id=items[seq % len(items)], choice=1, seq=seq, now=T0,
                    )  # fmt: skip
                except Exception as error:
                    return str(error)
                return "saved"

            return await asyncio.gather(*(send(seq) for seq in range(40, 0, -1)))  # newest first
        finally:
            await pool.close()

    said = asyncio.run(together())
    assert said.count("saved") >= 1
    assert {s for s in said if s != "saved"} <= {
        "this answer was sent before (a replay): it was not saved again"
    }
    kept = stored(engine, attempt_id, world["ann"]["user_id"])
    assert kept["attempt"].answer_seq == 40
    assert len(kept["answers"]) == said.count("saved")  # each on its own question


def test_a_lost_connection_is_made_again(world, engine):
    attempt_id, token = world["ann"]["attempt"], world["ann"]["token"]
    item = paper(engine, attempt_id)[0]

    async def twice():
        pool = AsyncPool.for_url(engine.url, connections=1)
        await pool.open()
        try:
            desk = PostgresAnswerDesk(pool)
            answer = {"who": token, "attempt_id": attempt_id, "item_id": item, "now": T0}
            await answers_online.save_answer(desk=desk, choice=0, seq=1, **answer)
            async with pool.connection() as connection:
                mine = connection.info.backend_pid
            with engine.connect() as admin:  # as when PostgreSQL restarts under the server
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": mine})
            return await answers_online.save_answer(desk=desk, choice=2, seq=2, **answer)
        finally:
            await pool.close()

    assert asyncio.run(twice()).seq == 2
    assert stored(engine, attempt_id, world["ann"]["user_id"])["answers"][0].choice == 2


def test_an_answer_waits_for_its_commit_to_reach_the_disk(world, engine):
    """The pool's connections commit asynchronously (check log lines may be lost in a crash
    of PostgreSQL itself); a candidate's answer may not."""

    async def inside():
        pool = AsyncPool.for_url(engine.url, connections=1)
        await pool.open()

        async def setting(answer):
            cursor = answer._cursor  # the transaction's own connection
            await cursor.execute("SELECT current_setting('synchronous_commit')")
            return (await cursor.fetchone())[0]

        try:
            during = await PostgresAnswerDesk(pool).run(setting)
            outside = await pool.read("SELECT current_setting('synchronous_commit')")
            return during, outside[0][0]
        finally:
            await pool.close()

    assert asyncio.run(inside()) == ("on", "off")


def test_a_failed_write_leaves_the_connection_fit_for_the_next_answer(world, engine):
    """A statement that fails in the last round trip (here an answer to no item at all,
    which only the rules keep out) rolls its transaction back; the connection, the pool's
    only one, saves the next answer."""
    attempt_id, token = world["ann"]["attempt"], world["ann"]["token"]
    item = paper(engine, attempt_id)[0]

    async def bad_then_good():
        pool = AsyncPool.for_url(engine.url, connections=1)
        await pool.open()
        desk = PostgresAnswerDesk(pool)

        async def no_such_item(answer):
            _, attempt = await answer.holder_and_attempt("no token", attempt_id)
            await answer.save(attempt, 999_999_999, 0, 1, T0)

        try:
            with pytest.raises(psycopg.IntegrityError):
                await desk.run(no_such_item)
            return await answers_online.save_answer(
                desk=desk, who=token, attempt_id=attempt_id, item_id=item, choice=1, seq=1,
                now=T0,
            )  # fmt: skip
        finally:
            await pool.close()

    assert asyncio.run(bad_then_good()).seq == 1
    kept = stored(engine, attempt_id, world["ann"]["user_id"])
    assert [(row.item_id, row.choice) for row in kept["answers"]] == [(item, 1)]


def test_a_database_that_stays_away_is_unavailable_not_a_crash(world, engine, monkeypatch):
    """Lost once, the connection is made again; lost again, the candidate is told to try
    again (503), as the threaded save's lost database is answered."""
    attempt_id, token = world["ann"]["attempt"], world["ann"]["token"]
    item = paper(engine, attempt_id)[0]

    async def lost(self):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("skillcard.adapters.db.answer_desk._OpenAnswer.begin", lost)

    async def answer():
        pool = AsyncPool.for_url(engine.url, connections=1)
        await pool.open()
        try:
            return await answers_online.save_answer(
                desk=PostgresAnswerDesk(pool), who=token, attempt_id=attempt_id,
                item_id=item, choice=0, seq=1, now=T0,
            )  # fmt: skip
        finally:
            await pool.close()

    with pytest.raises(Unavailable):
        asyncio.run(answer())
    assert stored(engine, attempt_id, world["ann"]["user_id"])["answers"] == []
