"""One check rule behind every door (issue 15): the public check (threaded, and the API's desk
on PostgreSQL), a business's check, a workforce addition, a bulk check and a business's
offline sync give the same answer, and store the same line in the card's check log, for the
same card, surname and moment; they refuse the same bad input in the same words, storing
nothing. The registry holds every card state, verified and self-declared qualifications, an
occupation, a replaced card and schemes of every prefix length (2 to 6 letters)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import random
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.domain.card_numbers import CardNumberFormat
from skillcard.domain.checks import NO_MATCH_REASON, CheckOutcome, PublicCardView, RateLimit
from skillcard.domain.people import HeldQualification
from skillcard.domain.schemes import CardCategory, CardType, Occupation, Qualification, Scheme
from skillcard.errors import NotFound, SkillcardError
from skillcard.services.audit.audit import utcnow
from skillcard.services.business import bulk_check, business_checks, workforce
from skillcard.services.checks import checks, online_checks
from skillcard.services.demo.seed import seed_registry
from skillcard.services.registry import cardholders, cards
from skillcard.services.registry.reference_data import install_reference_data, read_reference_data
from tests.factories import OPERATOR, approve_business, business_budget
from tests.integration.test_business import register

BUDGET = business_budget()
# (code, prefix, digits): every length of prefix a scheme may have
SCHEMES = (("QX", "QX", 5), ("ECS", "ECS", 8), ("CPCS", "CPCS", 8), ("JIBPM", "JIBPM", 6),
           ("SNIJIB", "SNIJIB", 12))  # fmt: skip
LOGGED = ("method", "outcome", "card_id", "scheme_id", "checker_user_id", "client_key", "site",
          "warnings", "checked_at")  # fmt: skip


@dataclasses.dataclass
class Contract:
    """The registry, the business checking it, and the checks every door is asked."""

    uow_factory: Callable[..., Any]
    engine: sa.Engine
    who: Any  # the business's admin: the checker at every door
    business_id: int
    asked: list[tuple[str, str, str | None]]  # (number, surname, scheme code)
    refused: list[tuple[str, str, str | None]]
    now: dt.datetime


def _scheme(uow_factory, code: str, prefix: str, digits: int) -> None:
    with uow_factory() as uow:
        scheme = Scheme(code=code, name=f"{code} scheme", operator="Test operator",
                        number_prefix=prefix, number_digits=digits)  # fmt: skip
        uow.schemes.add(scheme)
        gold = CardType(scheme_id=scheme.id, code="GOLD", title=f"{code} Gold",
                        category=CardCategory.SKILLED, validity_months=36)  # fmt: skip
        uow.card_types.add(gold)
        elec = Occupation(scheme_id=scheme.id, code="ELEC", title=f"{code} Electrician",
                          card_type_id=gold.id)  # fmt: skip
        uow.occupations.add(elec)
        uow.commit()


HOLDERS: dict[str, int] = {}


def _card(uow_factory, given: str, surname: str, scheme: str, issued_on: dt.date, **kw) -> str:
    holder = cardholders.register_cardholder(
        uow=uow_factory(), who=OPERATOR, given_names=given, surname=surname
    )
    HOLDERS[given] = holder
    return cards.issue_card(uow=uow_factory(), who=OPERATOR, cardholder_id=holder,
                            scheme_code=scheme, card_type_code="GOLD", issued_on=issued_on,
                            **kw).number  # fmt: skip


@pytest.fixture
def contract(uow_factory, engine) -> Contract:
    for code, prefix, digits in SCHEMES:
        _scheme(uow_factory, code, prefix, digits)
    with uow_factory() as uow:
        for code, title in (("AM2", "AM2 assessment"), ("BS7671", "BS 7671 wiring")):
            uow.reference.add_qualification(Qualification(code=code, title=title))
        uow.commit()
    today = utcnow().date()
    day = today - dt.timedelta(days=1)
    card = {
        "valid": _card(uow_factory, "Ann", "Núñez-O'Brien", "ECS", day, occupation_code="ELEC"),
        "amber": _card(
            uow_factory, "Bob", "Smith", "CPCS", today - dt.timedelta(days=3 * 365 - 20)
        ),
        "expired": _card(uow_factory, "Cy", "Jones", "ECS", today - dt.timedelta(days=4 * 365)),
        "suspended": _card(uow_factory, "Di", "Lee", "QX", day),
        "revoked": _card(uow_factory, "Ed", "Ng", "JIBPM", day),
        "replaced": _card(uow_factory, "Flo", "Mac Donald", "SNIJIB", day),
        "not_yet": _card(uow_factory, "Gus", "Owen", "ECS", today + dt.timedelta(days=5)),
    }
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=card["suspended"], reason="private")
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=card["revoked"], reason="private")
    card["successor"] = cards.replace_card(
        uow=uow_factory(), who=OPERATOR, number=card["replaced"], reason="lost"
    ).number
    with uow_factory() as uow:  # one verified qualification, one only declared by its holder
        for code, verified in (("AM2", True), ("BS7671", False)):
            uow.cardholders.add(HeldQualification(
                cardholder_id=HOLDERS["Ann"], qualification_code=code,
                achieved_on=dt.date(2020, 1, 1), verified=verified,
            ))  # fmt: skip
        uow.commit()
    surnames = {"valid": "NUNEZ obrien", "amber": "smith", "expired": "Jones",
                "suspended": "Lee", "revoked": "ng", "replaced": "macdonald",
                "successor": "Mac-Donald", "not_yet": "Owen"}  # fmt: skip
    asked: list[tuple[str, str, str | None]] = []
    for key, number in card.items():
        asked.append((number, surnames[key], None))
        asked.append((number, "Someone Else", None))  # a wrong surname
    asked += [
        (card["amber"].lower(), "Smith", "cpcs"),  # the scheme named, in any case
        (card["valid"][:3] + " " + card["valid"][3:], "Núñez-O'Brien", None),  # as typed
        (CardNumberFormat("ECS", 8).number_for(999), "Smith", None),  # a number of no card
        (CardNumberFormat("QX", 5).number_for(999), "Lee", None),
    ]
    refused = [
        (card["valid"][:-1] + str((int(card["valid"][-1]) + 1) % 10), "Smith", None),
        ("XYZ123", "Smith", None),  # no scheme's prefix
        (card["valid"], "Smith", "NOPE"),  # no such scheme
        (card["valid"], " - ", None),  # no surname left
        (card["valid"], "x" * 101, None),  # longer than any surname
    ]
    business_id, who = register(uow_factory)
    approve_business(uow_factory, business_id)
    return Contract(uow_factory, engine, who, business_id, asked, refused, utcnow())


def _lines(engine) -> list[tuple]:
    k = tables.checks.c
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*(k[n] for n in LOGGED)).order_by(k.id)).all()
    return [tuple(row) for row in rows]


def _public(c: Contract, number: str, surname: str, code: str | None) -> PublicCardView:
    return checks.check_card(uow=c.uow_factory(), number=number, surname=surname,
                             scheme_code=code, who=c.who, now=c.now).view  # fmt: skip


def _desk(c: Contract, number: str, surname: str, code: str | None) -> PublicCardView:
    from skillcard.adapters.db.async_pool import AsyncPool
    from skillcard.adapters.db.check_desk import PostgresCheckDesk
    from skillcard.adapters.db.rate_counters import PostgresRateLimiter

    async def on_the_desk() -> PublicCardView:
        pool = AsyncPool.for_url(c.engine.url)
        await pool.open()
        try:
            result, stored = await online_checks.check_card(
                desk=PostgresCheckDesk(pool), limiter=PostgresRateLimiter(pool),
                allowance=("check:contract", RateLimit(1000, 60)), number=number,
                surname=surname, scheme_code=code, who=c.who, now=c.now,
            )  # fmt: skip
            await stored
            return result.view
        finally:
            await pool.close()

    return asyncio.run(on_the_desk())


def _business(c: Contract, number: str, surname: str, code: str | None) -> PublicCardView:
    return business_checks.check_for_business(
        uow=c.uow_factory(), who=c.who, number=number, surname=surname, budget=BUDGET,
        scheme_code=code, now=c.now,
    ).view  # fmt: skip


def _outcome_of_workforce(c: Contract, number: str, surname: str, code: str | None) -> str:
    try:
        entry = workforce.add_worker(
            uow=c.uow_factory(), who=c.who, number=number, surname=surname, budget=BUDGET,
            scheme_code=code, now=c.now,
        )  # fmt: skip
    except NotFound as refused:
        if refused.message != NO_MATCH_REASON:
            raise
        return CheckOutcome.NO_MATCH.value
    shown = workforce.dashboard(uow=c.uow_factory(), who=c.who, today=c.now.date())
    (row,) = shown.rows
    workforce.remove_worker(uow=c.uow_factory(), who=c.who, entry_id=entry)
    return row.card_number  # a card added is the card checked: compared below


def _offline(c: Contract, number: str, surname: str, code: str | None) -> str:
    item = business_checks.OfflineItem(number=number, surname=surname, scheme=code,
                                       checked_at=c.now)  # fmt: skip
    (done,) = business_checks.sync_offline(uow=c.uow_factory(), who=c.who, items=[item],
                                           budget=BUDGET, now=c.now)  # fmt: skip
    if not done.stored:
        raise SkillcardError(done.error or "")
    return done.outcome or ""


def _bulk(c: Contract, asked: list[tuple[str, str, str | None]], folder) -> list[dict]:
    source, result = folder / "in.csv", folder / "out.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "surname", "scheme"])
        writer.writerows([(n, s, code or "") for n, s, code in asked])
    bulk_check.run_bulk(uow_factory=c.uow_factory, who=c.who, source=source, result=result,
                        business_id=c.business_id, budget=BUDGET, now=c.now)  # fmt: skip
    return list(csv.DictReader(io.StringIO(result.read_text(encoding="utf-8-sig"))))


def _as_bulk_shows(view: PublicCardView) -> dict[str, str]:
    matched = view.outcome != CheckOutcome.NO_MATCH
    return {
        "scheme": view.scheme,
        "number": view.card_number,
        "outcome": view.outcome.value,
        "warning": ",".join(view.warnings),
        "holder_name": view.holder_name or "" if matched else "",
        "card_type": view.card_type or "" if matched else "",
        "expires_on": view.expires_on.isoformat() if matched and view.expires_on else "",
        "error": "",
    }


def test_every_door_gives_the_same_answer_and_log_line(contract, tmp_path):
    c = contract
    answers = [_public(c, *case) for case in c.asked]
    lines = _lines(c.engine)
    assert len(lines) == len(c.asked)
    outcomes = [a.outcome.value for a in answers]
    assert set(outcomes) == {"valid", "expired", "not_yet_valid", "suspended", "revoked",
                             "no_match"}  # fmt: skip
    valid = answers[0]
    assert valid.occupation == "ECS Electrician" and valid.qualifications == ("AM2 assessment",)
    assert answers[2].warnings == ("expiring_soon",)

    def same_lines(door: str) -> None:
        assert _lines(c.engine)[-len(c.asked) :] == lines, door

    doors: list[tuple[str, Callable[..., PublicCardView]]] = [("business check", _business)]
    if c.engine.dialect.name == "postgresql":
        doors.append(("the API's desk", _desk))
    for door, ask in doors:
        assert [ask(c, *case) for case in c.asked] == answers, door
        same_lines(door)

    added = [_outcome_of_workforce(c, *case) for case in c.asked]
    assert added == [a.card_number if a.outcome != "no_match" else "no_match" for a in answers]
    same_lines("workforce addition")

    assert [_offline(c, *case) for case in c.asked] == outcomes
    offline = [line for line in _lines(c.engine)[-len(c.asked) :]]
    assert offline == lines, "offline sync"

    rows = _bulk(c, c.asked, tmp_path)
    assert [{k: row[k] for k in _as_bulk_shows(answers[0])} for row in rows] == [
        _as_bulk_shows(a) for a in answers
    ]
    same_lines("bulk check")


def test_every_door_refuses_bad_input_alike_and_stores_nothing(contract, tmp_path):
    c = contract
    doors: list[Callable[..., object]] = [_public, _business, _outcome_of_workforce, _offline]
    if c.engine.dialect.name == "postgresql":
        doors.append(_desk)
    for case in c.refused:
        with pytest.raises(SkillcardError) as first:
            _public(c, *case)
        for ask in doors:
            with pytest.raises(SkillcardError) as refused:
                ask(c, *case)
            assert refused.value.message == first.value.message, (ask.__name__, case)
    # a file's own cap on every value (100 characters) refuses the long surname first
    in_a_file = [case for case in c.refused if len(case[1]) <= 100]
    rows = _bulk(c, in_a_file, tmp_path)
    for row, case in zip(rows, in_a_file, strict=True):
        with pytest.raises(SkillcardError) as first:
            _public(c, *case)
        assert (row["outcome"], row["error"]) == ("error", first.value.message)
    assert _lines(c.engine) == []


def test_each_bulk_row_is_answered_as_the_single_check_answers_it(uow_factory, engine, tmp_path):
    """A seeded registry of every scheme in the reference data (all 38 prefixes; cards valid,
    expiring, expired, suspended and revoked): a file of real pairs, wrong surnames and
    numbers as people type them, each row against the public check of the same input."""
    with uow_factory() as uow:
        install_reference_data(uow, read_reference_data(), actor="test")
        uow.commit()
    seed_registry(uow=uow_factory(), cards=1500, seed=15, today=utcnow().date())
    c, h = tables.cards.c, tables.cardholders.c
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(c.number, h.surname).join(tables.cardholders, h.id == c.cardholder_id)
        ).all()
    rng = random.Random(15)
    asked: list[tuple[str, str, str | None]] = []
    for number, surname in rng.sample(found, 400):
        shape = rng.random()
        if shape < 0.15:
            surname = rng.choice(found)[1]  # most likely someone else's
        elif shape < 0.25:
            number = f"{number[:3].lower()} {number[3:]}"
        asked.append((number, surname, None))
    business_id, who = register(uow_factory)
    approve_business(uow_factory, business_id)
    seeded = Contract(uow_factory, engine, who, business_id, asked, [], utcnow())
    rows = _bulk(seeded, asked, tmp_path)
    answers = [_public(seeded, *case) for case in asked]
    assert {a.outcome.value for a in answers} >= {"valid", "no_match", "suspended", "revoked"}
    assert [{k: row[k] for k in _as_bulk_shows(answers[0])} for row in rows] == [
        _as_bulk_shows(a) for a in answers
    ]
