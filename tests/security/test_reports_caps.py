"""Report caps (issue 14): a PDF holds at most ``report_pdf_max_rows`` checks and says the CSV
has them all; a process builds at most ``report_builds_at_once`` reports at once, and every
process on one PostgreSQL at most ``report_builds_in_deployment``, telling the next one to try
again in a minute (429), through the API and the pages, on both databases."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pypdf import PdfReader

from skillcard.adapters.db.report_slots import LOCK_CLASS
from skillcard.config import Settings
from skillcard.errors import RateLimited
from skillcard.services.business import business_checks, reports
from skillcard.web import create_app
from tests.e2e.conftest import bearer, sign_in
from tests.factories import PASSWORD, business_budget
from tests.integration.test_business import register

MAX_ROWS = 3


@pytest.fixture
def client(engine, database_url, tmp_path):
    settings = Settings(
        environment="test",
        database_url=database_url,
        files_dir=tmp_path / "files",
        report_pdf_max_rows=MAX_ROWS,
        report_builds_at_once=2,
    )
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client


@pytest.fixture
def token(client, uow_factory, registry):
    _business_id, admin = register(uow_factory)
    for surname in ("Nunez-OBrien", "Wrong", "Other", "More", "Last"):  # five checks
        business_checks.check_for_business(
            uow=uow_factory(),
            who=admin,
            number=registry.cards["ann"],
            surname=surname,
            budget=business_budget(),
        )
    answer = client.post("/api/v1/tokens", json={"email": "boss@acme.test", "password": PASSWORD})
    return answer.json()["token"]


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_pdf_beyond_the_cap_lists_the_first_rows_and_points_to_the_csv(client, token):
    pdf = client.get("/api/v1/business/reports?format=pdf", headers=bearer(token))
    assert pdf.status_code == 200
    text = _text(pdf.content)
    assert "This PDF lists the first 3 of 5 checks" in text and "as CSV" in text
    assert "Checks made: 5" in text  # the counts still cover every check
    rows = text.split("Checks\nWhen How Card Holder Outcome Checker, site\n")[1].splitlines()
    listed = [row for row in rows if "Single check ECS" in row]
    assert len(listed) == 3  # the first three of the five, no more
    csv_text = client.get("/api/v1/business/reports?format=csv", headers=bearer(token)).text
    assert len(csv_text.splitlines()) == 1 + 5
    sign_in(client, "boss@acme.test")
    page = client.get("/business/reports")
    assert "The PDF lists the first 3 checks" in page.text
    assert "the CSV has every check" in page.text


def test_reports_beyond_the_slots_are_told_to_try_again_and_nothing_waits(client, token):
    slots = client.app.state.report_slots = reports.BuildSlots(2)
    with slots.hold(), slots.hold():  # two large reports being built
        busy = client.get("/api/v1/business/reports?format=pdf", headers=bearer(token))
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "60"
        assert busy.json()["error"]["code"] == "rate_limited"
        assert "try again in a minute" in busy.json()["error"]["message"]
        assert client.get("/api/v1/business/checks", headers=bearer(token)).status_code == 429
        sign_in(client, "boss@acme.test")
        page = client.get("/business/reports/download?format=csv")
        assert page.status_code == 429 and "try again in a minute" in page.text
        # A card check does not wait for reports.
        check = client.post(
            "/api/v1/business/checks",
            json={"number": "X1", "surname": "Smith"},
            headers=bearer(token),
        )
        assert check.status_code < 500 and check.status_code != 429
    again = client.get("/api/v1/business/reports?format=csv", headers=bearer(token))
    assert again.status_code == 200  # the slots are given back


def test_every_process_on_one_postgresql_shares_the_deployments_slots(
    client, token, engine, database_url
):
    """Another process holding every slot (here, another connection holding the advisory
    locks) makes this one answer 429; its transaction ending gives them back."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is one machine's database: the process's own slots are the limit")
    size = Settings(environment="test").report_builds_in_deployment
    with engine.connect() as other_process:
        for slot in range(size):
            assert other_process.scalar(
                sa.text("SELECT pg_try_advisory_xact_lock(:kind, :slot)"),
                {"kind": LOCK_CLASS, "slot": slot},
            )
        busy = client.get("/api/v1/business/reports?format=csv", headers=bearer(token))
        assert busy.status_code == 429 and f"{size} reports" in busy.json()["error"]["message"]
    again = client.get("/api/v1/business/reports?format=csv", headers=bearer(token))
    assert again.status_code == 200


def test_a_failed_build_gives_its_slot_back():
    slots = reports.BuildSlots(1)
    with pytest.raises(KeyError), slots.hold():
        raise KeyError("the build failed")
    # The one slot is free again, then taken.
    with slots.hold(), pytest.raises(RateLimited), slots.hold():
        pass


def test_the_app_makes_its_slots_from_the_settings(client, token):
    client.get("/api/v1/business/reports?format=csv", headers=bearer(token))
    assert client.app.state.report_slots.size == 2
