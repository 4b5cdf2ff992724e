"""What the MyCard tests share: a registry with the reference data, evidence files, people.

tests/conftest.py registers the fixtures ``mycard`` and ``evidence_store`` for every test.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from skillcard.adapters.evidence_store import EvidenceStore
from skillcard.domain.people import HseRecord
from skillcard.services.mycard import cpd_audit
from skillcard.services.registry import cardholders
from skillcard.services.registry.reference_data import install_reference_data, read_reference_data
from tests.factories import OPERATOR

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200  # a PE header


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def with_reference_data(registry, uow_factory):
    """The test registry plus the shipped reference data (qualifications, institutes, the real
    ECS card types), with a CPD target of 30 hours a year on the holders' GOLD cards."""
    with uow_factory() as uow:
        install_reference_data(uow, read_reference_data(), actor="test")
        scheme = uow.schemes.by_code("ECS")
        uow.card_types.by_code(scheme.id, "GOLD").cpd_target_hours = 30
        uow.commit()
    return registry


@pytest.fixture
def mycard(registry, uow_factory):
    """The test registry with the shipped reference data (see ``with_reference_data``)."""
    return with_reference_data(registry, uow_factory)


@pytest.fixture
def evidence_store(tmp_path):
    return EvidenceStore(tmp_path / "files")


def add_hse_pass(uow_factory, holder_id: int, passed_on: dt.date | None = None) -> None:
    passed_on = passed_on or dt.date.today() - dt.timedelta(days=30)
    with uow_factory() as uow:
        uow.hse_records.add(
            HseRecord(
                cardholder_id=holder_id,
                passed_on=passed_on,
                valid_until=passed_on + dt.timedelta(days=730),
                source="admin_entry",
                recorded_by=OPERATOR.label,
                recorded_at=dt.datetime.now(dt.UTC),
            )
        )
        uow.commit()


def qualify_ann(uow_factory, registry, codes, achieved_on: dt.date) -> None:
    """ECS's admin records Ann's qualifications ``codes``, achieved on ``achieved_on``, and she
    has passed the HSE test."""
    for code in codes:
        cardholders.add_qualification(
            uow=uow_factory(),
            who=registry.principals["ecs_admin"],
            cardholder_id=registry.holders["ann"],
            qualification_code=code,
            achieved_on=achieved_on,
        )
    add_hse_pass(uow_factory, registry.holders["ann"])


def stored_files(store: EvidenceStore) -> list:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []


def sample_all_of_ecs(uow_factory, registry, seed: int):
    """ECS's CPD audit of this year, sampling every holder (100%)."""
    return cpd_audit.sample(
        uow=uow_factory(),
        who=registry.principals["ecs_admin"],
        scheme_code="ECS",
        year=dt.date.today().year,
        share_percent=100,
        seed=seed,
    )
