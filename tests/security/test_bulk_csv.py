"""Issue 14, bulk CSV: a header-only file is refused as empty, progress counts records (a
quoted cell may hold line breaks), a cell past the csv reader's limit or a quote never closed
is the file's clear refusal (never "failed unexpectedly"), and a job its server left running
is marked interrupted when a server starts, its files deleted, nothing committed lost."""

from __future__ import annotations

import csv
import os
import socket

import pytest
from fastapi.testclient import TestClient

from skillcard.adapters import bulk_csv
from skillcard.domain.business import BulkStatus
from skillcard.errors import InvalidInput
from skillcard.services import bulk_check, bulk_results, business_checks
from skillcard.web import create_app
from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer
from tests.factories import approve_business, business_budget
from tests.integration.test_business import register

BUDGET = business_budget()
files_dir = e2e.files_dir  # the HTTP fixtures' (no conftest of our own here)


def _csv(tmp_path, text: str, name="in.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_header_only_file_is_refused_as_empty(tmp_path):
    for text in ("number,surname\n", "number,surname\r\n\r\n,\r\n"):
        with pytest.raises(InvalidInput, match="only its header row"):
            bulk_csv.inspect(_csv(tmp_path, text))


def test_progress_counts_records_not_lines(uow_factory, registry, tmp_path):
    business_id, admin = register(uow_factory)
    number = registry.cards["bob"]
    source = _csv(
        tmp_path,
        "number,surname,label\n"
        f'{number},Smith,"Bob\non two\nlines"\n'
        f'{number},Smith,"Gate 2\r\nnight shift"\n'
        f"{number},Jones,\n",
    )
    assert bulk_csv.inspect(source).rows == 3  # seven lines, three records
    job = bulk_check.start_bulk(
        uow=uow_factory(), who=admin, budget=BUDGET, filename="in.csv", source=source
    )
    result = tmp_path / "out.csv"
    bulk_check.run_bulk(
        uow_factory=uow_factory,
        who=admin,
        source=source,
        result=result,
        business_id=business_id,
        budget=BUDGET,
        job_id=job.id,
    )
    done = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    assert (done.total_rows, done.done_rows, done.percent) == (3, 3, 100)
    with result.open(encoding="utf-8-sig", newline="") as out:
        rows = list(csv.DictReader(out))
    # each row as a spreadsheet numbers it: the header is row 1
    assert [(r["row"], r["outcome"]) for r in rows] == [
        ("2", "valid"),
        ("3", "valid"),
        ("4", "no_match"),
    ]
    assert rows[0]["label"] == "Bob on two lines"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("number,surname\nECS1,Smith\n" + "x" * (csv.field_size_limit() + 10) + ",y\n", "longer"),
        ('number,surname\nECS1,"Smith\nECS2,Jones\n', "never closed"),
    ],
    ids=["cell-past-the-limit", "quote-never-closed"],
)
def test_a_file_the_csv_reader_gives_up_on_is_refused_clearly(
    text, says, engine, database_url, files_dir, uow_factory, registry, tmp_path
):
    with pytest.raises(InvalidInput, match=says) as refused:
        bulk_csv.inspect(_csv(tmp_path, text))
    assert "line " in refused.value.message
    from skillcard.config import Settings

    settings = Settings(environment="test", database_url=database_url, files_dir=files_dir)
    with TestClient(create_app(settings, engine=engine)) as client:
        from tests.e2e.test_business_http import _business

        token = _business(client, uow_factory, "a@acme.test", "01234567", "Acme")
        answer = client.post(
            "/api/v1/business/bulk",
            files={"file": ("in.csv", text.encode(), "text/csv")},
            headers=bearer(token),
        )
    assert answer.status_code == 422, answer.text
    message = answer.json()["error"]["message"]
    assert says in message and "unexpectedly" not in message
    assert not list(files_dir.glob("*/*"))  # the upload is not kept


def _orphan(uow_factory, registry, tmp_path, runner: str):
    """A job whose first batch was committed, then its process stopped (no end written)."""
    business_id, admin = register(uow_factory)
    approve_business(uow_factory, business_id)
    folder = tmp_path / "files" / "bulk"
    folder.mkdir(parents=True)
    upload = folder / "incoming.csv"
    rows = "".join(f"{registry.cards['bob']},Smith\n" for _ in range(bulk_check.BATCH + 1))
    upload.write_text("number,surname\n" + rows, encoding="utf-8")
    job = bulk_check.start_bulk(
        uow=uow_factory(),
        who=admin,
        budget=BUDGET,
        filename="in.csv",
        source=upload,
        runner=runner,
    )
    uploads = folder.parent / "uploads"  # where the local file store keeps them
    uploads.mkdir(exist_ok=True)
    upload = upload.replace(uploads / bulk_results.upload_key(job.id))
    result = folder / bulk_results.result_key(job.id)
    bulk_check.run_bulk(
        uow_factory=uow_factory,
        who=admin,
        source=upload,
        result=result,
        business_id=business_id,
        budget=BUDGET,
        job_id=job.id,
    )
    with uow_factory() as uow:  # as if it had died before its end was written
        uow.bulk_jobs.update(job.id, status=BulkStatus.RUNNING.value, finished_at=None)
        uow.commit()
    return admin, job, upload, result


def test_a_server_starting_marks_its_dead_processes_jobs_interrupted_at_once(
    engine, database_url, uow_factory, registry, tmp_path
):
    from skillcard.config import Settings

    here = socket.gethostname()
    admin, job, upload, result = _orphan(uow_factory, registry, tmp_path, f"{here}:999999999")
    live = f"{here}:{os.getpid()}"
    _, _, live_upload, _ = _orphan_of_another(uow_factory, registry, tmp_path, live)
    settings = Settings(environment="test", database_url=database_url, files_dir=tmp_path / "files")
    with TestClient(create_app(settings, engine=engine)):
        pass  # its start is what we test
    seen = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    assert seen.status == BulkStatus.INTERRUPTED and "interrupted" in seen.message
    assert seen.done_rows == bulk_check.BATCH + 1  # its counts stay
    assert not upload.exists() and not result.exists()  # the one rule: no result, no files
    history = business_checks.history(uow=uow_factory(), who=admin, limit=10_000)
    assert history  # the checks it committed are the business's record: not lost
    assert live_upload.exists()  # a job of a live process is left to it


def _orphan_of_another(uow_factory, registry, tmp_path, runner):
    """A second business's job, run by a process that is alive."""
    _, admin = register(uow_factory, "o@other.test", "OC123456", "Other")
    folder = tmp_path / "files" / "bulk"
    upload = folder / "other.csv"
    upload.write_text(f"number,surname\n{registry.cards['bob']},Smith\n", encoding="utf-8")
    job = bulk_check.start_bulk(
        uow=uow_factory(), who=admin, budget=BUDGET, filename="o.csv", source=upload, runner=runner
    )
    uploads = folder.parent / "uploads"  # where the local file store keeps them
    uploads.mkdir(exist_ok=True)
    upload = upload.replace(uploads / bulk_results.upload_key(job.id))
    return admin, job, upload, None
