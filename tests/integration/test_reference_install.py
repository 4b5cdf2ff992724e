"""Installing the shipped reference data into a fresh database, twice."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.domain.cards import Card
from skillcard.domain.people import Cardholder
from skillcard.errors import Conflict
from skillcard.services.registry.reference_data import install_reference_data, read_reference_data


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'skillcard.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _install(engine, data) -> dict[str, int]:
    with SqlAlchemyUnitOfWork(engine) as uow:
        counts = install_reference_data(uow, data, actor="test")
        uow.commit()
    return counts


def _count(engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(table))


def test_installing_twice_inserts_once(engine):
    data = read_reference_data()
    first = _install(engine, data)
    assert first["schemes_inserted"] == 38
    assert first["card_types_inserted"] == len(data.card_types)
    assert first["occupations_inserted"] == len(data.occupations)
    assert first["qualifications_inserted"] == len(data.qualifications)
    assert first["institutes_inserted"] == len(data.institutes)

    second = _install(engine, read_reference_data())
    assert all(n == 0 for n in second.values()), second

    assert _count(engine, tables.schemes) == 38
    assert _count(engine, tables.card_types) == len(data.card_types)
    assert _count(engine, tables.occupations) == len(data.occupations)
    assert _count(engine, tables.qualifications) == len(data.qualifications)
    assert _count(engine, tables.institutes) == len(data.institutes)
    assert _count(engine, tables.audit_events) == 1  # the second run changed nothing


def test_installed_rows_read_back_as_in_the_files(engine):
    data = read_reference_data()
    _install(engine, data)
    with SqlAlchemyUnitOfWork(engine, read_only=True) as uow:
        ecs = uow.schemes.by_code("ECS")
        assert (ecs.number_prefix, ecs.number_digits, ecs.sample) == ("ECS", 8, False)
        gold = uow.card_types.by_code(ecs.id, "INSTALLATION_ELECTRICIAN")
        assert (gold.colour, gold.validity_months) == ("Gold", 36)
        digital = uow.occupations.by_code(ecs.id, "DIGITAL_SUPPORT_TECHNICIAN")
        assert uow.card_types.get(digital.card_type_id).code == "DIGITAL_SUPPORT_TECHNICIAN"
        assert uow.reference.qualification("EV_CHARGE_POINT") in data.qualifications
        assert sorted(uow.reference.institutes(), key=lambda i: i.code) == sorted(
            data.institutes, key=lambda i: i.code
        )


def test_a_changed_file_updates_card_types_and_leaves_qualifications(engine):
    data = read_reference_data()
    _install(engine, data)
    scheme, gold = next((s, ct) for s, ct in data.card_types if ct.code == "SKILLED")
    data.card_types[data.card_types.index((scheme, gold))] = (
        scheme,
        dataclasses.replace(gold, title="Skilled Worker (renamed)"),
    )
    data.qualifications[0] = dataclasses.replace(data.qualifications[0], title="Renamed")
    counts = _install(engine, data)
    assert counts["card_types_updated"] == 1
    assert counts["card_types_inserted"] == counts["schemes_updated"] == 0
    assert counts["qualifications_not_updated"] == 1
    with SqlAlchemyUnitOfWork(engine, read_only=True) as uow:
        stored = uow.card_types.by_code(uow.schemes.by_code(scheme).id, "SKILLED")
        assert stored.title == "Skilled Worker (renamed)"
        assert uow.reference.qualification(data.qualifications[0].code).title != "Renamed"


def _with_ecs_prefix(data, prefix: str):
    ecs = next(i for i, s in enumerate(data.schemes) if s.code == "ECS")
    data.schemes[ecs] = dataclasses.replace(data.schemes[ecs], number_prefix=prefix)
    return data


def test_a_scheme_without_cards_may_change_its_number_prefix(engine):
    _install(engine, read_reference_data())
    counts = _install(engine, _with_ecs_prefix(read_reference_data(), "ELEC"))
    assert counts["schemes_updated"] == 1
    with SqlAlchemyUnitOfWork(engine, read_only=True) as uow:
        assert uow.schemes.by_code("ECS").number_prefix == "ELEC"


def test_a_scheme_with_cards_keeps_its_number_prefix(engine):
    _install(engine, read_reference_data())
    with SqlAlchemyUnitOfWork(engine) as uow:
        ecs = uow.schemes.by_code("ECS")
        gold = uow.card_types.by_code(ecs.id, "INSTALLATION_ELECTRICIAN")
        holder = Cardholder(given_names="Ada", surname="Lovelace")
        uow.cardholders.add(holder)
        issued = dt.date(2025, 1, 1)
        number = ecs.number_format.number_for(1)
        uow.cards.add(Card(ecs.id, gold.id, holder.id, number, issued, dt.date(2028, 1, 1)))
        uow.commit()
    with pytest.raises(Conflict, match="ECS already has cards"):
        _install(engine, _with_ecs_prefix(read_reference_data(), "ELEC"))
    with SqlAlchemyUnitOfWork(engine, read_only=True) as uow:
        assert uow.schemes.by_code("ECS").number_prefix == "ECS"
