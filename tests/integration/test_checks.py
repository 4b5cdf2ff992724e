"""Smart Check by number and surname, the check log and shared rate limits (issue 3, items 5
and 7), on SQLite and PostgreSQL; the Redis limiter against the local Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid

import pytest
import redis
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.rate_limits import AsyncLimitsRateLimiter, LimitsRateLimiter
from skillcard.domain.checks import NO_MATCH_REASON, CheckMethod, CheckOutcome, client_key
from skillcard.domain.schemes import Qualification
from skillcard.errors import InvalidCardNumber, InvalidInput, LimitsUnavailable, NotFound
from skillcard.services.checks import checks
from skillcard.services.checks.rate_limits import DatabaseRateLimiter
from skillcard.services.registry import cardholders, cards
from tests.factories import OPERATOR

CLIENT = client_key("203.0.113.7", "test secret")


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def card_of(uow_factory, number: str) -> cards.CardView:
    return cards.show_card(uow=uow_factory(), who=OPERATOR, number=number)


def check(uow_factory, number: str, surname: str, **kwargs) -> checks.PublicCheckResult:
    return checks.check_card(uow=uow_factory(), number=number, surname=surname, **kwargs)


def stored_checks(uow_factory, number: str):
    with uow_factory() as uow:
        card = uow.cards.by_number(uow.schemes.by_code(number[:3]).id, number)
        return uow.checks.of_card(card.id)


def test_a_valid_card_is_green_and_shows_only_the_public_view(registry, uow_factory):
    card = card_of(uow_factory, registry.cards["ann"])
    result = check(uow_factory, card.number, "Núñez-O'Brien", now=noon(card.issued_on))
    view = result.view
    assert (view.outcome, view.colour, view.valid) == ("valid", "green", True)
    assert view.holder_name == "Ann Núñez-O'Brien"
    assert (view.card_type, view.scheme, view.card_number) == (
        "Installation Electrician",
        "ECS",
        card.number,
    )
    assert view.expires_on == card.expires_on and view.warnings == ()
    assert view.reasons == (f"The card is valid until {card.expires_on:%-d %B %Y}.",)
    assert {f.name for f in dataclasses.fields(view)} == {
        "outcome",
        "colour",
        "reasons",
        "warnings",
        "scheme",
        "card_number",
        "holder_name",
        "photo_sha256",
        "card_type",
        "occupation",
        "qualifications",
        "expires_on",
    }


def test_a_card_expiring_within_90_days_is_amber_and_valid(registry, uow_factory):
    card = card_of(uow_factory, registry.cards["bob"])
    now = noon(card.expires_on - dt.timedelta(days=30))
    view = check(uow_factory, card.number, "smith", now=now).view
    assert (view.outcome, view.colour, view.warnings) == ("valid", "amber", ("expiring_soon",))
    assert "It expires in 30 days: the holder should renew it soon." in view.reasons


@pytest.mark.parametrize(
    ("when", "outcome", "words"),
    [
        (lambda c: c.expires_on + dt.timedelta(days=1), "expired", "The card expired on"),
        (lambda c: c.issued_on - dt.timedelta(days=1), "not_yet_valid", "not valid yet"),
    ],
)
def test_expired_and_not_yet_valid_cards_are_red(registry, uow_factory, when, outcome, words):
    card = card_of(uow_factory, registry.cards["bob"])
    view = check(uow_factory, card.number, "Smith", now=noon(when(card))).view
    assert (view.outcome, view.colour, view.valid) == (outcome, "red", False)
    assert words in view.reasons[0] and view.reasons[1].startswith("Do not accept it")


def test_suspended_revoked_and_replaced_cards_are_red_and_never_say_why(registry, uow_factory):
    bob, ann, cy = registry.cards["bob"], registry.cards["ann"], registry.cards["cy"]
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=bob, reason="secret inquiry")
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=cy, reason="forged papers")
    new = cards.replace_card(uow=uow_factory(), who=OPERATOR, number=ann, reason="lost")
    answers = {
        number: check(uow_factory, number, surname).view
        for number, surname in ((bob, "Smith"), (cy, "Jones"), (ann, "nunez obrien"))
    }
    assert [(v.outcome, v.colour) for v in answers.values()] == [
        ("suspended", "red"),
        ("revoked", "red"),
        ("revoked", "red"),
    ]
    assert answers[bob].reasons[0] == "ECS scheme has suspended this card."
    assert "replaced by a new card" in answers[ann].reasons[0]
    assert all("secret" not in r and "forged" not in r for v in answers.values() for r in v.reasons)
    assert check(uow_factory, new.number, "Núñez-O'Brien").view.outcome == "valid"


@pytest.mark.parametrize(
    "typed", ["NÚÑEZ-O'BRIEN", "nunez obrien", "Nunez-OBrien", " nunezobrien "]
)
def test_surname_matching_ignores_case_accents_hyphens_and_spaces(registry, uow_factory, typed):
    number = registry.cards["ann"]
    assert check(uow_factory, number, typed).view.outcome == "valid"


@pytest.mark.parametrize(
    ("surname", "typed"),
    [("Núñez", "Nunez"), ("Smith-Jones", "Smith Jones"), ("Smith-Jones", "smithjones")],
)
def test_accents_hyphens_and_spaces_and_a_loosely_typed_number(
    registry, uow_factory, surname, typed
):
    holder = cardholders.register_cardholder(
        uow=uow_factory(), who=OPERATOR, given_names="Jo", surname=surname
    )
    card = cards.issue_card(
        uow=uow_factory(),
        who=OPERATOR,
        cardholder_id=holder,
        scheme_code="CPCS",
        card_type_code="GOLD",
    )
    number = f"{card.number[:4].lower()} {card.number[4:8]}-{card.number[8:]}"
    view = check(uow_factory, number, typed).view
    assert (view.outcome, view.holder_name, view.card_number) == (
        "valid",
        f"Jo {surname}",
        card.number,
    )


def test_a_wrong_surname_and_an_unknown_number_give_the_same_answer(registry, uow_factory):
    real = registry.cards["ann"]
    with uow_factory() as uow:
        scheme = uow.schemes.by_code("ECS")
        unknown = scheme.number_format.number_for(uow.schemes.next_serial(scheme.id) + 50)
    now = noon(dt.date(2026, 5, 1))
    wrong_surname = check(uow_factory, real, "Smith", now=now)
    unknown_number = check(uow_factory, unknown, "Núñez-O'Brien", now=now)
    assert dataclasses.replace(wrong_surname.view, card_number=unknown) == unknown_number.view
    assert wrong_surname.view.reasons == (NO_MATCH_REASON,)
    assert (wrong_surname.view.outcome, wrong_surname.view.colour) == ("no_match", "red")
    assert wrong_surname.view.holder_name is None and wrong_surname.view.expires_on is None


def test_a_wrong_check_digit_is_refused_and_not_logged(registry, uow_factory):
    number = registry.cards["ann"]
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidCardNumber, match="check digit"):
        check(uow_factory, wrong, "Núñez-O'Brien")
    with pytest.raises(NotFound, match="no scheme"):
        check(uow_factory, number, "Núñez-O'Brien", scheme_code="NOPE")
    with pytest.raises(InvalidInput, match="surname"):
        check(uow_factory, number, " - ")
    with pytest.raises(InvalidInput, match="200 characters"):
        check(uow_factory, number, "Núñez-O'Brien", site="x" * 201)
    assert stored_checks(uow_factory, number) == []


def test_only_verified_qualifications_are_shown(registry, uow_factory):
    with uow_factory() as uow:
        for code, title in (("AM2", "AM2 assessment"), ("BS7671", "BS 7671 wiring regulations")):
            uow.reference.add_qualification(Qualification(code=code, title=title))
        uow.commit()
    holder, ann = registry.holders["ann"], registry.principals["ann"]
    for who, code in ((OPERATOR, "AM2"), (ann, "BS7671")):  # the holder's own is declared only
        cardholders.add_qualification(
            uow=uow_factory(),
            who=who,
            cardholder_id=holder,
            qualification_code=code,
            achieved_on=dt.date(2020, 1, 1),
        )
    view = check(uow_factory, registry.cards["ann"], "Núñez-O'Brien").view
    assert view.qualifications == ("AM2 assessment",)


def test_every_check_is_stored_with_its_method_checker_and_site(registry, uow_factory):
    number, checker = registry.cards["bob"], registry.principals["biz_checker"]
    moment = noon(card_of(uow_factory, number).issued_on)
    check(uow_factory, number, "Smith", who=checker, client=CLIENT, site=" Block  B ", now=moment)
    check(uow_factory, number, "Smith", client=CLIENT, site="graffiti", now=moment)
    check(uow_factory, number, "Jones", client=CLIENT, now=moment)
    check(uow_factory, number, "Smith", who=OPERATOR, now=moment)
    stored = stored_checks(uow_factory, number)
    assert [(c.method, c.outcome, c.checker_user_id, c.client_key, c.site) for c in stored] == [
        (CheckMethod.NUMBER, CheckOutcome.VALID, checker.user_id, None, "Block B"),
        (CheckMethod.NUMBER, CheckOutcome.VALID, None, CLIENT, None),
        (CheckMethod.NUMBER, CheckOutcome.NO_MATCH, None, CLIENT, None),
        (CheckMethod.NUMBER, CheckOutcome.VALID, None, None, None),
    ]
    first = stored[0]
    assert first.synced_at is None and first.scheme_id is not None and first.warnings == ""
    assert first.checked_at.replace(tzinfo=dt.UTC) == moment


def test_a_cardholder_sees_who_checked_their_card_and_nobody_elses(registry, uow_factory):
    ann, bob = registry.principals["ann"], registry.principals["bob"]
    number = registry.cards["ann"]
    day = card_of(uow_factory, number).issued_on
    checker = registry.principals["biz_checker"]
    check(uow_factory, number, "nunez-obrien", who=checker, site="Canary Wharf", now=noon(day))
    check(uow_factory, number, "NUNEZ OBRIEN", client=CLIENT, now=noon(day) + dt.timedelta(hours=1))
    check(uow_factory, registry.cards["bob"], "Smith", client=CLIENT)
    log = checks.cardholder_checks(uow=uow_factory(), who=ann, cardholder_id=ann.cardholder_id)
    assert [(e.checker, e.site, e.outcome, e.card_number) for e in log] == [
        ("a site checker (not signed in)", None, "valid", number),
        ("biz_checker", "Canary Wharf", "valid", number),
    ]
    assert log[0].checked_at == noon(day) + dt.timedelta(hours=1)
    assert all(CLIENT not in repr(entry) for entry in log)
    with pytest.raises(NotFound):
        checks.cardholder_checks(uow=uow_factory(), who=bob, cardholder_id=ann.cardholder_id)
    with pytest.raises(NotFound):
        checks.cardholder_checks(
            uow=uow_factory(), who=registry.principals["ecs_admin"], cardholder_id=ann.cardholder_id
        )
    hub = registry.principals["hub"]
    assert (
        len(checks.cardholder_checks(uow=uow_factory(), who=hub, cardholder_id=ann.cardholder_id))
        == 2
    )


def test_the_check_log_shows_the_latest_fifty(registry, uow_factory):
    number, ann = registry.cards["ann"], registry.principals["ann"]
    start = noon(card_of(uow_factory, number).issued_on)
    for minute in range(55):
        check(uow_factory, number, "Núñez-O'Brien", now=start + dt.timedelta(minutes=minute))
    log = checks.cardholder_checks(uow=uow_factory(), who=ann, cardholder_id=ann.cardholder_id)
    assert len(log) == 50 and log[0].checked_at == start + dt.timedelta(minutes=54)
    assert log[0].checker == "the scheme's operator"


def test_database_counters_are_shared_by_two_processes(database_url):
    """Two engines, as two server processes would have, share one allowance."""
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        limiters = [DatabaseRateLimiter(lambda e=e: SqlAlchemyUnitOfWork(e)) for e in engines]
        now = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)
        allowed = [limiters[i % 2].allow("check:anon:abc", 5, 60, now) for i in range(8)]
        assert allowed == [True] * 5 + [False] * 3
        assert limiters[1].allow("check:anon:other", 5, 60, now)  # another client's own count
        later = now + dt.timedelta(seconds=60)
        assert limiters[0].allow("check:anon:abc", 5, 60, later)  # a new window
        with engines[0].connect() as connection:
            counts = dict(
                connection.execute(
                    sa.select(
                        tables.rate_limit_counters.c.key, tables.rate_limit_counters.c.count
                    ).where(tables.rate_limit_counters.c.window_start == 1_777_636_860)
                ).all()
            )
        assert counts == {"check:anon:abc": 1}  # 12:01 so far; abc's 12:00 was forgotten
        assert limiters[0].purge(before=1_777_636_860) == 1  # "other", whose 12:00 was left
    finally:
        for engine in engines:
            engine.dispose()


@pytest.fixture
def redis_limiter():
    prefix = f"skillcard-test:{uuid.uuid4().hex}"
    limiter = LimitsRateLimiter.from_url("redis://127.0.0.1:6379/0", prefix=prefix)
    limiter.prefix = prefix
    yield limiter
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(match=prefix + ":*"))
    if keys:
        client.delete(*keys)
    client.close()
    limiter.close()


def test_redis_counters_limit_and_expire(redis_limiter):
    now = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)
    other = LimitsRateLimiter.from_url("redis://127.0.0.1:6379/0", prefix=redis_limiter.prefix)
    try:  # a second client, as a second process would have
        allowed = [(redis_limiter, other)[i % 2].allow("k", 3, 60, now) for i in range(5)]
    finally:
        other.close()
    assert allowed == [True, True, True, False, False]
    # limits' fixed window: it started at the first hit and ends a minute later
    assert 58 <= redis_limiter.retry_after("k", 60, now) <= 60
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        keys = [k.decode() for k in client.scan_iter(redis_limiter.prefix + ":*")]
        assert keys == [f"{redis_limiter.prefix}:skillcard/k/1/60/second"]
        assert client.get(keys[0]) == b"5" and 0 < client.ttl(keys[0]) <= 60
    finally:
        client.close()
    redis_limiter.forget("k", 60, now)  # a sign-in that succeeded: the window starts afresh
    assert redis_limiter.allow("k", 3, 60, now)


CLOSED_PORT = "redis://127.0.0.1:1/0"


def test_redis_out_of_reach_lets_checks_through_with_a_log_line(caplog):
    limiter = LimitsRateLimiter.from_url(CLOSED_PORT)
    try:
        assert all(limiter.allow("k", 1, 60, dt.datetime.now(dt.UTC)) for _ in range(3))
    finally:
        limiter.close()
    assert "cannot be reached: allowing (fails open)" in caplog.text


def test_redis_out_of_reach_closes_the_guarded_doors(caplog):
    limiter = LimitsRateLimiter.from_url(CLOSED_PORT).guarded()
    try:
        with pytest.raises(LimitsUnavailable) as refused:
            limiter.hit("signin:address:60:x", 60, dt.datetime.now(dt.UTC))
    finally:
        limiter.close()
    assert refused.value.http_status == 503 and refused.value.headers["Retry-After"] == "30"
    assert "refusing (fails closed)" in caplog.text


def test_the_event_loop_limiter_counts_in_the_same_redis_keys(redis_limiter):
    """The API's Smart Check counts in Redis through redis.asyncio; a threaded check of the
    same client (the check page, say) shares its count."""
    now = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)

    async def hits():
        limiter = AsyncLimitsRateLimiter.from_url(
            "redis://127.0.0.1:6379/0", prefix=redis_limiter.prefix
        )
        try:
            return await asyncio.gather(*(limiter.allow("k", 3, 60, now) for _ in range(2)))
        finally:
            await limiter.close()

    assert asyncio.run(hits()) == [True, True]
    assert [redis_limiter.allow("k", 3, 60, now) for _ in range(2)] == [True, False]
