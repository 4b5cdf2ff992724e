"""Bulk check results kept no longer than SKILLCARD_BULK_RESULT_DAYS: old result files
deleted and their jobs marked expired, recent ones kept, by hand or by the daily periodic job.
On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.adapters.file_stores import LocalFileStore
from skillcard.domain.retention import Retention
from skillcard.errors import Gone, PermissionDenied
from skillcard.services import jobs
from skillcard.services.audit.audit import history, utcnow
from skillcard.services.business import bulk_check, bulk_results
from tests.factories import business_budget
from tests.integration.test_business import register

BUDGET = business_budget()
KEEP = Retention(result_days=30)


def _job(uow_factory, who, folder, registry, finished: dt.datetime):
    """A finished job with its result file, as the pages leave it, finished at ``finished``:
    (the job, where the local file store under ``folder`` keeps its result)."""
    files = LocalFileStore(folder)
    source = folder / f"in-{finished:%Y%m%d%H%M%S%f}.csv"
    source.write_text(f"number,surname\n{registry.cards['bob']},Smith\n", encoding="utf-8")
    job = bulk_check.start_bulk(
        budget=BUDGET, uow=uow_factory(), who=who, filename="in.csv", source=source
    )
    key = bulk_results.result_key(job.id)
    bulk_check.run_bulk(
        uow_factory=uow_factory,
        who=who,
        source=source,
        result=folder / f"{job.id}.csv",
        business_id=job.business_id,
        budget=BUDGET,
        job_id=job.id,
        publish=lambda path: files.put("results", key, path.read_bytes()),
    )
    with uow_factory() as uow:
        uow.bulk_jobs.update(job.id, finished_at=finished)
        uow.commit()
    return job, files.path("results", key)


def test_old_results_are_deleted_and_their_jobs_say_so(uow_factory, registry, tmp_path):
    _, admin = register(uow_factory)
    hub, now = registry.principals["hub"], utcnow()
    old, old_file = _job(uow_factory, admin, tmp_path, registry, now - dt.timedelta(days=31))
    new, new_file = _job(uow_factory, admin, tmp_path, registry, now - dt.timedelta(days=29))
    purge = dict(uow_factory=uow_factory, who=hub, files=LocalFileStore(tmp_path), retention=KEEP)

    seen = bulk_results.purge_results(**purge, dry_run=True)
    assert seen.expired == [old.id] and old_file.exists()

    done = bulk_results.purge_results(**purge)
    assert (done.expired, done.kept) == ([old.id], [])
    assert not old_file.exists() and new_file.exists()
    expired = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=old.id)
    assert expired.status == "expired" and expired.done_rows == 1
    assert expired.message == "the result was deleted after 30 days: run the check again"
    with pytest.raises(Gone, match="deleted after 30 days"):
        bulk_results.require_result(expired, old_file.exists())
    kept = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=new.id)
    assert kept.status == "done"
    bulk_results.require_result(kept, new_file.exists())  # still there: no complaint
    events = history(uow=uow_factory(), entity_type="bulk_job", entity_id=old.id)
    assert [e.action for e in events] == ["bulk.start", "bulk.done", "bulk.purge"]
    assert bulk_results.purge_results(**purge).expired == []  # a purged job is not purged again


def test_a_job_that_never_finished_is_purged_by_its_start(uow_factory, registry, tmp_path):
    _, admin = register(uow_factory)
    source = tmp_path / "in.csv"
    source.write_text("number,surname\nECS00000001,Smith\n", encoding="utf-8")
    job = bulk_check.start_bulk(
        budget=BUDGET, uow=uow_factory(), who=admin, filename="in.csv", source=source
    )
    files = LocalFileStore(tmp_path)
    files.put("results", bulk_results.result_key(job.id), b"row,number\n")  # stopped mid-way
    partial = files.path("results", bulk_results.result_key(job.id))
    hub = registry.principals["hub"]
    purge = dict(uow_factory=uow_factory, who=hub, files=files, retention=KEEP)
    assert bulk_results.purge_results(**purge).expired == []
    later = utcnow() + dt.timedelta(days=31)
    assert bulk_results.purge_results(**purge, now=later).expired == [job.id]
    assert not partial.exists()


def test_a_result_file_missing_before_its_job_was_marked_is_gone_not_missing(
    uow_factory, registry, tmp_path
):
    _, admin = register(uow_factory)
    job, result = _job(uow_factory, admin, tmp_path, registry, utcnow())
    result.unlink()
    done = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    with pytest.raises(Gone, match="no longer kept"):
        bulk_results.require_result(done, result.exists())


def test_only_the_hub_purges(uow_factory, registry, tmp_path):
    _, admin = register(uow_factory)
    with pytest.raises(PermissionDenied):
        bulk_results.purge_results(
            uow_factory=uow_factory, who=admin, files=LocalFileStore(tmp_path), retention=KEEP
        )


def test_the_daily_purge_is_a_periodic_job_even_with_the_alerts_off(
    uow_factory, registry, tmp_path
):
    _, admin = register(uow_factory)
    job, result = _job(uow_factory, admin, tmp_path, registry, utcnow() - dt.timedelta(days=9))
    context = jobs.JobContext(
        uow_factory=uow_factory, public_url="http://x", files=LocalFileStore(tmp_path),
        retention=Retention(result_days=7), alerts_daily=False, alerts_hour_utc=6,
    )  # fmt: skip
    assert [p.name for p in jobs.periodic_jobs(context)] == [jobs.FILES_PURGE, jobs.EXPIRY_NEAR]
    jobs.run_job(context, jobs.FILES_PURGE, {})
    assert not result.exists()
    assert bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id).status == "expired"
