"""Issue 14, bulk CSV: a header-only file is refused as empty, progress counts records (a
quoted cell may hold line breaks), a cell past the csv reader's limit or a quote never closed
is the file's clear refusal (never "failed unexpectedly"), and a job whose worker died goes on
where it stopped, run by another from the file store, no row checked twice, nothing lost."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from skillcard.adapters import bulk_csv
from skillcard.adapters.file_stores import LocalFileStore
from skillcard.domain.business import BulkStatus
from skillcard.errors import InvalidInput
from skillcard.services import jobs
from skillcard.services.business import bulk_check, bulk_results, business_checks
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


class _Killed(BaseException):
    """A worker's death mid-job: no ``except Exception`` of ours sees it, as with SIGKILL."""


def test_a_job_whose_worker_died_goes_on_and_checks_no_row_twice(uow_factory, registry, tmp_path):
    business_id, admin = register(uow_factory)
    approve_business(uow_factory, business_id)
    files = LocalFileStore(tmp_path / "files")  # the store every host reaches
    rows = 2 * bulk_check.BATCH + 7
    cards = [registry.cards["bob"], "ECS-0000000", registry.cards["bob"]]
    body = "".join(f"{cards[i % 3]},Smith,row{i}\n" for i in range(rows))
    source = tmp_path / "first-worker.csv"  # the first worker's copy of the upload
    source.write_text("number,surname,label\n" + body, encoding="utf-8")
    files.put("uploads", bulk_results.upload_key("job1"), source.read_bytes())
    job = bulk_check.start_bulk(
        uow=uow_factory(), who=admin, budget=BUDGET, filename="in.csv", source=source,
        job_id="job1",
    )  # fmt: skip

    def die_after_first_batch(done, total):
        raise _Killed

    with pytest.raises(_Killed):
        bulk_check.run_bulk(
            uow_factory=uow_factory, who=admin, source=source, job_id=job.id, budget=BUDGET,
            result=tmp_path / "first-worker.result.csv", business_id=business_id,
            progress=die_after_first_batch,
        )  # fmt: skip
    half = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    assert half.status == BulkStatus.RUNNING and half.done_rows == bulk_check.BATCH
    assert files.exists("uploads", bulk_results.upload_key(job.id))  # kept for the retry
    context = jobs.JobContext(uow_factory=uow_factory, public_url="http://x", files=files)
    context.budget = BUDGET
    args = {"job_id": job.id, "business_id": business_id, "who": jobs.principal_args(admin)}
    jobs.run_job(context, jobs.BULK_CHECK, args)  # the queue's retry, by another worker
    done = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    assert done.status == BulkStatus.DONE and done.done_rows == rows
    assert done.valid_rows == rows - rows // 3 - (1 if rows % 3 > 1 else 0)
    published = files.get("results", bulk_results.result_key(job.id))  # in the store
    assert published is not None
    text = io.StringIO(published.decode("utf-8-sig"), newline="")
    labels = [row["label"] for row in csv.DictReader(text)]
    assert labels == [f"row{i}" for i in range(rows)]  # every row once, in the file's order
    history = business_checks.history(uow=uow_factory(), who=admin, limit=10_000)
    checked = rows - done.error_rows  # a malformed number is answered, not checked
    assert done.error_rows == 336 and len(history) == checked  # none checked twice
    # the upload goes once the job has ended
    assert not files.exists("uploads", bulk_results.upload_key(job.id))
    jobs.run_job(context, jobs.BULK_CHECK, args)  # a retry after the end: nothing more
    assert len(business_checks.history(uow=uow_factory(), who=admin, limit=10_000)) == checked


def test_a_job_whose_upload_is_gone_fails_saying_so(uow_factory, registry, tmp_path):
    business_id, admin = register(uow_factory)
    source = _csv(tmp_path, f"number,surname\n{registry.cards['bob']},Smith\n")
    job = bulk_check.start_bulk(
        uow=uow_factory(), who=admin, budget=BUDGET, filename="in.csv", source=source
    )  # its upload never reached the store (or was deleted by hand)
    context = jobs.JobContext(
        uow_factory=uow_factory, public_url="http://x", files=LocalFileStore(tmp_path / "files")
    )
    context.budget = BUDGET
    args = {"job_id": job.id, "business_id": business_id, "who": jobs.principal_args(admin)}
    jobs.run_job(context, jobs.BULK_CHECK, args)
    seen = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    assert seen.status == BulkStatus.FAILED and seen.message == bulk_results.NO_UPLOAD
    assert business_checks.history(uow=uow_factory(), who=admin) == []  # nothing checked
