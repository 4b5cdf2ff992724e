"""``seed_registry``: the synthetic registry, on SQLite and PostgreSQL.

Each test module run makes its own throwaway databases (PostgreSQL ones are dropped at the
end), with three schemes built here through the repositories, so these tests depend on neither
the reference data files nor the shared fixtures.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import sqlalchemy as sa

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.domain.accounts import Principal
from skillcard.domain.cards import add_months
from skillcard.domain.names import surname_key
from skillcard.domain.schemes import CardCategory, CardType, Scheme
from skillcard.errors import InvalidInput
from skillcard.services.audit import audit
from skillcard.services.demo.seed import SeedSummary, scheme_weights, seed_registry
from skillcard.services.registry import cardholders, cards

DATABASES = os.environ.get("SKILLCARD_TEST_DATABASES", "sqlite,postgresql").split(",")
POSTGRES_ADMIN_URL = os.environ.get(
    "SKILLCARD_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@/postgres?host=/var/run/postgresql",
)
CARDS = 3000
TODAY = dt.date(2026, 3, 1)
OPERATOR = Principal.operator()
# (code, prefix, card types as (code, validity in months)); ZZZ has no card types on purpose.
SCHEMES = (
    ("ECS", "ECS", (("GOLD", 36), ("PQP", 60), ("APPRENTICE", 48))),
    ("CPCS", "CPCS", (("BLUE", 60), ("RED", 24))),
    ("CISRS", "CIS", (("SCAFFOLDER", 60),)),
    ("ZZZ", "ZZZ", ()),
)


@pytest.fixture(scope="module", params=DATABASES)
def seed_db_maker(request, tmp_path_factory):
    """Makes fresh, migrated databases of one kind holding SCHEMES; drops them all at the end."""
    made: list[sa.Engine] = []
    admin = None
    if request.param == "postgresql":
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def make() -> sa.Engine:
        if admin is None:
            url = f"sqlite:///{tmp_path_factory.mktemp('seed') / 'seed.db'}"
        else:
            name = f"skillcard_seed_test_{uuid.uuid4().hex[:12]}"
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = admin.url.set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        made.append(engine)
        upgrade(engine)
        _add_schemes(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{engine.url.database}" WITH (FORCE)'
                )
    if admin is not None:
        admin.dispose()


def _add_schemes(engine: sa.Engine) -> None:
    with SqlAlchemyUnitOfWork(engine) as uow:
        for code, prefix, card_types in SCHEMES:
            scheme = Scheme(
                code=code, name=f"{code} test scheme", operator="", number_prefix=prefix
            )
            uow.schemes.add(scheme)
            for ct_code, months in card_types:
                uow.card_types.add(
                    CardType(
                        scheme_id=scheme.id,
                        code=ct_code,
                        title=ct_code.title(),
                        category=CardCategory.SKILLED,
                        validity_months=months,
                    )
                )
        uow.commit()


def _seed(engine: sa.Engine, *, cards: int = CARDS, seed: int = 7, **kw) -> SeedSummary:
    return seed_registry(
        uow=SqlAlchemyUnitOfWork(engine), cards=cards, schemes=3, seed=seed, today=TODAY, **kw
    )


@pytest.fixture(scope="module")
def seeded(seed_db_maker):
    engine = seed_db_maker()
    progress: list[int] = []
    summary = _seed(engine, progress=progress.append, batch_size=1000)
    return engine, summary, progress


def _rows(engine: sa.Engine, sql: str) -> list:
    with engine.connect() as connection:
        return connection.exec_driver_sql(sql).all()


def _cards(engine: sa.Engine) -> list:
    return _rows(
        engine,
        "SELECT c.id, s.code, s.number_prefix, s.number_digits, c.number, c.cardholder_id, "
        "c.issued_on, c.expires_on, t.validity_months, c.status, c.status_reason "
        "FROM cards c JOIN schemes s ON s.id = c.scheme_id "
        "JOIN card_types t ON t.id = c.card_type_id ORDER BY c.id",
    )


def _day(value) -> dt.date:  # SQLite gives dates back as text through a raw query
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def test_it_writes_the_cards_asked_for_and_about_5_percent_second_cards(seeded):
    engine, summary, progress = seeded
    holders = _rows(engine, "SELECT COUNT(*) FROM cardholders")[0][0]
    per_holder = _rows(
        engine,
        "SELECT COUNT(*), COUNT(DISTINCT scheme_id) FROM cards GROUP BY cardholder_id",
    )
    assert (summary.cards, summary.cardholders) == (CARDS, holders)
    assert len(_cards(engine)) == CARDS
    assert len(per_holder) == holders  # every holder has a card
    assert all(n == distinct for n, distinct in per_holder)  # a second card: another scheme
    assert sum(n == 2 for n, _ in per_holder) == CARDS - holders == round(holders * 0.05)
    assert max(n for n, _ in per_holder) == 2
    assert sum(summary.per_scheme.values()) == CARDS
    assert max(summary.per_scheme, key=summary.per_scheme.get) == "ECS"
    assert progress[-1] == CARDS and progress == sorted(progress) and len(progress) > 1


def test_the_lead_scheme_gets_about_8_percent_of_38():
    weights = scheme_weights(38)
    assert sum(weights) == pytest.approx(1)
    assert weights[0] == pytest.approx(175_000 / 2_100_000)
    assert weights[0] > weights[1] > weights[-1] > weights[1] / 4  # a mild skew


def test_the_spread_of_states_matches_the_summary(seeded):
    engine, summary, _ = seeded
    rows = _cards(engine)
    active = [r for r in rows if r.status == "active"]
    expired = [r for r in active if _day(r.expires_on) < TODAY]
    soon = [r for r in active if 0 <= (_day(r.expires_on) - TODAY).days <= 90]
    suspended = [r for r in rows if r.status == "suspended"]
    revoked = [r for r in rows if r.status == "revoked"]
    assert (len(expired), len(soon)) == (summary.expired, summary.expiring_soon)
    assert (len(suspended), len(revoked)) == (summary.suspended, summary.revoked)
    assert 0.07 * CARDS < len(expired) < 0.13 * CARDS
    assert 0.05 * CARDS < len(soon) < 0.11 * CARDS
    assert 0.004 * CARDS < len(suspended) < 0.02 * CARDS
    assert 0.001 * CARDS < len(revoked) < 0.01 * CARDS
    assert all(r.status_reason for r in suspended + revoked)
    assert all(r.status_reason == "" for r in active)
    for r in rows:
        assert _day(r.expires_on) == add_months(_day(r.issued_on), r.validity_months)
        assert _day(r.issued_on) <= TODAY


def test_every_number_is_valid_for_its_scheme_and_unique(seeded):
    engine, summary, _ = seeded
    rows = _cards(engine)
    for r in rows:
        scheme = Scheme(code=r.code, name="", operator="", number_prefix=r.number_prefix,
                        number_digits=r.number_digits)  # fmt: skip
        assert scheme.number_format.parse(r.number) == r.number
    assert len({r.number for r in rows}) == len(rows)
    serials = _rows(engine, "SELECT s.code, n.next_serial FROM card_number_serials n "
                            "JOIN schemes s ON s.id = n.scheme_id")  # fmt: skip
    assert dict(serials) == {code: n + 1 for code, n in summary.per_scheme.items()}


def test_people_have_keyed_varied_names_and_working_ages(seeded):
    engine, _, _ = seeded
    people = _rows(engine, "SELECT id, given_names, surname, surname_key, date_of_birth "
                           "FROM cardholders")  # fmt: skip
    assert all(p.surname_key == surname_key(p.surname) for p in people)
    surnames = {p.surname for p in people}
    assert len(surnames) > 200
    assert any("'" in s for s in surnames) and any("-" in s for s in surnames)
    assert any(not s.isascii() for s in surnames)
    assert any(" " in p.given_names for p in people)  # some have a middle name
    first_issue = {}
    for r in _cards(engine):
        first_issue[r.cardholder_id] = min(
            _day(r.issued_on), first_issue.get(r.cardholder_id, TODAY)
        )
    for p in people:
        born = _day(p.date_of_birth)
        assert add_months(born, 16 * 12) <= TODAY < add_months(born, 71 * 12)  # aged 16 to 70
        assert (first_issue[p.id] - born).days >= 16 * 365  # no card before 16


def test_the_same_seed_makes_the_same_registry_and_another_seed_another(seed_db_maker, seeded):
    engine, _, _ = seeded
    again, other = seed_db_maker(), seed_db_maker()
    _seed(again)
    _seed(other, seed=8)
    query = "SELECT c.number, h.given_names, h.surname, h.date_of_birth, c.issued_on, c.status " \
            "FROM cards c JOIN cardholders h ON h.id = c.cardholder_id ORDER BY c.id"  # fmt: skip
    first = _rows(engine, query)
    assert _rows(again, query) == first
    different = _rows(other, query)
    assert len(different) == len(first) and different != first


def test_seeding_again_continues_the_serials_and_ids(seed_db_maker):
    engine = seed_db_maker()
    first = _seed(engine, cards=500)
    second = _seed(engine, cards=300)
    rows = _cards(engine)
    assert len(rows) == 800 == len({(r.code, r.number) for r in rows})
    assert [r.id for r in rows] == list(range(1, 801))
    ecs = [int(r.number[3:-1]) for r in rows if r.code == "ECS"]
    assert ecs == list(range(1, first.per_scheme["ECS"] + second.per_scheme["ECS"] + 1))
    names = _rows(engine, "SELECT given_names, surname FROM cardholders ORDER BY id")
    again = names[first.cardholders :]
    assert len(again) == second.cardholders
    assert again != names[: second.cardholders]  # the second run made new people


def test_issuing_after_seeding_gets_a_fresh_number(seed_db_maker):
    engine = seed_db_maker()
    summary = _seed(engine, cards=400)
    uow = lambda: SqlAlchemyUnitOfWork(engine)  # noqa: E731
    holder = cardholders.register_cardholder(
        uow=uow(), who=OPERATOR, given_names="Siobhán", surname="Ó Súilleabháin"
    )
    assert holder == summary.cardholders + 1  # the id sequence was moved past the seeded ids
    view = cards.issue_card(uow=uow(), who=OPERATOR, cardholder_id=holder, scheme_code="ECS",
                            card_type_code="GOLD", issued_on=TODAY)  # fmt: skip
    assert view.id == summary.cards + 1
    assert int(view.number[3:-1]) == summary.per_scheme["ECS"] + 1
    assert cards.show_card(uow=uow(), who=OPERATOR, number=view.number).holder_id == holder


def test_one_audit_event_records_the_run(seeded):
    engine, summary, _ = seeded
    uow = lambda: SqlAlchemyUnitOfWork(engine)  # noqa: E731
    events = audit.history(uow=uow(), entity_type="registry", entity_id="synthetic")
    assert [e.action for e in events] == ["registry.seed"]
    assert events[0].actor == "cli"
    assert events[0].detail["cards"] == CARDS
    assert events[0].detail["per_scheme"] == summary.per_scheme
    assert audit.verify_audit_chain(uow=uow(), who=OPERATOR)[1] is None


def test_it_refuses_missing_reference_data_and_writes_nothing(seed_db_maker):
    engine = seed_db_maker()
    with pytest.raises(InvalidInput, match="ZZZ has no card types: load the reference data"):
        seed_registry(uow=SqlAlchemyUnitOfWork(engine), cards=10, schemes=4, today=TODAY)
    with pytest.raises(InvalidInput, match="4 schemes, not 5: load the reference data first"):
        seed_registry(uow=SqlAlchemyUnitOfWork(engine), cards=10, schemes=5, today=TODAY)
    assert _rows(engine, "SELECT COUNT(*) FROM cardholders")[0][0] == 0


def test_a_failure_part_way_leaves_nothing_loaded(seed_db_maker):
    engine = seed_db_maker()

    def fail_after_first_batch(done: int) -> None:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        _seed(engine, cards=500, batch_size=100, progress=fail_after_first_batch)
    counts = _rows(engine, "SELECT (SELECT COUNT(*) FROM cards), (SELECT COUNT(*) FROM "
                           "cardholders), (SELECT COUNT(*) FROM card_number_serials)")  # fmt: skip
    assert tuple(counts[0]) == (0, 0, 0)
    assert _seed(engine, cards=100).cards == 100  # and the database is usable afterwards


def test_the_seeders_fast_numbers_are_the_schemes_own():
    from skillcard.domain.card_numbers import CardNumberFormat
    from skillcard.services.demo.seed import _numberer

    for digits in (4, 8, 12):
        number_format = CardNumberFormat("ECS", digits)
        fast = _numberer(number_format)
        top = number_format.capacity
        for serial in [*range(1, 3000), 12_345, 999, 1000, 1001, top]:
            if serial <= top:
                assert fast(serial) == number_format.number_for(serial)
        with pytest.raises(InvalidInput):
            fast(top + 1)


def test_running_out_of_numbers_is_refused_and_rolls_back(seed_db_maker):
    engine = seed_db_maker()
    with engine.begin() as connection:
        ecs = connection.exec_driver_sql("SELECT id FROM schemes WHERE code = 'ECS'").scalar()
        connection.exec_driver_sql(
            f"INSERT INTO card_number_serials (scheme_id, next_serial) VALUES ({ecs}, 9999990)"
        )
    with pytest.raises(InvalidInput, match=r"outside 1\.\.9999999 for ECS"):
        _seed(engine, cards=500, batch_size=100)
    assert _rows(engine, "SELECT COUNT(*) FROM cards")[0][0] == 0
    assert _rows(engine, "SELECT next_serial FROM card_number_serials") == [(9999990,)]
