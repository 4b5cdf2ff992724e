"""Bulk checks: a CSV of card numbers and surnames, each row checked and answered.

The file streams through in batches of 500 rows: one query looks up a batch's cards of a
scheme, the batch's checks are written in one statement, and its result rows are written out
before the next batch is read, so memory does not grow with the file. A bad row (malformed
number, unknown scheme, missing field) gets its own error and the rest carry on.

A job's progress is committed after each batch, so a page (or an API client) polling the job
sees it move; the command line shows the same through a callback.

An uploaded file is checked as a job on the queue (services/jobs.py), enqueued in the
transaction that opens it. Its answers are written to ``bulk_result_rows`` with their row
index, in the transaction that logs the batch's checks and moves its progress: a job retried
after its worker died goes on after the last batch committed, and no row is checked, logged or
answered twice. The result CSV is written from those rows once every row is in.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from skillcard.adapters import bulk_csv
from skillcard.domain.accounts import Principal
from skillcard.domain.business import (
    BulkJob,
    BulkStatus,
    BusinessCheckMethod,
    clean_text,
)
from skillcard.domain.calendar import card_day
from skillcard.domain.check_judgement import judge, log_values, surname_key_of
from skillcard.domain.checks import CardOnRecord, CheckOutcome, PublicCardView
from skillcard.domain.schemes import Scheme
from skillcard.errors import NotFound, SkillcardError
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business.business import business_id_for
from skillcard.services.business.business_budget import Budget, note_outcomes, spend
from skillcard.services.jobs import BULK_CHECK, principal_args
from skillcard.services.unit_of_work import AbstractUnitOfWork

BATCH = 500
ERROR = "error"  # the outcome of a row that could not be checked (its error says why)


@dataclass
class BulkSummary:
    rows: int = 0
    valid: int = 0
    not_valid: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Checked:
    """A row that was a check: its scheme, its number, the check's judgement of it, and the
    card the number found (the same for a wrong surname), for the logs."""

    scheme: Scheme
    number: str
    view: PublicCardView
    found: CardOnRecord | None


def _answer(row: bulk_csv.BulkRow, **values: str | int) -> dict[str, str | int]:
    base: dict[str, str | int] = {
        "row": row.line,
        "number": row.number,
        "surname": row.surname,
        "label": row.label,
    }
    return {**base, "scheme": row.scheme, **values}


def _shown(view: PublicCardView) -> dict[str, str | int]:
    """What the result file shows of a check's answer (no more than the public check shows)."""
    values: dict[str, str | int] = {
        "scheme": view.scheme,
        "number": view.card_number,
        "outcome": view.outcome.value,
        "warning": ",".join(view.warnings),
        "error": "",
    }
    if view.outcome != CheckOutcome.NO_MATCH:
        values.update(
            holder_name=view.holder_name or "",
            card_type=view.card_type or "",
            expires_on=view.expires_on.isoformat() if view.expires_on else "",
        )
    return values


def check_rows(
    uow: AbstractUnitOfWork, rows: list[bulk_csv.BulkRow], today: dt.date
) -> tuple[list[dict[str, str | int]], list[Checked]]:
    """Each row's answer (for the result CSV) and, for rows that were checks, what to log:
    the public check's judgement of each row, the cards of the batch read in one query."""
    answers: list[dict[str, str | int]] = [{}] * len(rows)
    asked: dict[int, tuple[Scheme, str, str]] = {}  # row index -> (scheme, number, surname key)
    resolve = uow.schemes.resolver()
    for index, row in enumerate(rows):
        if row.error:
            answers[index] = _answer(row, outcome=ERROR, error=row.error)
            continue
        try:
            scheme, number = resolve(row.number, row.scheme or None)
            key = surname_key_of(row.surname)
        except SkillcardError as problem:  # a malformed number, an unknown scheme or surname
            answers[index] = _answer(row, outcome=ERROR, error=problem.message)
            continue
        asked[index] = (scheme, number, key)
    found = uow.checks.cards((scheme.id, number) for scheme, number, _ in asked.values())
    checked = []
    for index, (scheme, number, key) in asked.items():
        card = found.get((scheme.id, number))
        view = judge(card, surname_key=key, scheme=scheme, card_number=number, today=today)
        answers[index] = {**_answer(rows[index]), **_shown(view)}
        checked.append(Checked(scheme, number, view, card))
    return answers, checked


def start_bulk(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    filename: str,
    source: Path,
    budget: Budget,
    runner: str = "",
    business_id: int | None = None,
    job_id: str | None = None,
    now: dt.datetime | None = None,
) -> BulkJob:
    """Check that ``source`` can be read (a clear InvalidInput if not), draw its rows from the
    business's budget (a file larger than the day's allowance left is refused whole, 429),
    open a job (``job_id``, or a new one) and queue its run in the same transaction; ``runner``
    (host:pid) is who took the upload."""
    business_id = business_id_for(who, business_id)
    shape = bulk_csv.inspect(source)
    now = now or utcnow()
    job = BulkJob(
        runner=runner,
        id=job_id or uuid.uuid4().hex,
        business_id=business_id,
        created_by=who.label,
        created_at=now,
        filename=clean_text(Path(filename or "upload.csv").name, "a file name", 500)[:200],
        total_rows=shape.rows,
        message=("columns ignored: " + ", ".join(shape.ignored)) if shape.ignored else "",
    )
    with uow:
        spend(uow, budget, business_id, shape.rows, now=now, per_minute=False)
        uow.bulk_jobs.add(job)
        record(uow, who, "bulk.start", "bulk_job", job.id, detail={"rows": shape.rows}, now=now)
        args = {"job_id": job.id, "business_id": business_id, "who": principal_args(who)}
        uow.jobs.enqueue(BULK_CHECK, args)
        uow.commit()
    return job


def run_bulk(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    who: Principal,
    source: Path,
    result: Path,
    business_id: int | None = None,
    budget: Budget | None = None,
    job_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    publish: Callable[[Path], None] | None = None,
    now: dt.datetime | None = None,
) -> BulkSummary:
    """Check every row of ``source`` and write the answers to ``result``. With a business,
    each check goes into its history (and the card's check log), and its answers of no match
    are counted towards a burst; with a job (opened by :func:`start_bulk`, which drew the
    rows), its progress is committed batch by batch. A business's file without a job (the
    command line) draws its rows here, first. ``progress(done, total)`` is called after each
    batch. ``publish(result)`` is called once the result is whole, before the job says done
    (it puts the file where every host finds it)."""
    if business_id is not None and budget is None:
        raise ValueError("a business's bulk check draws on its budget: pass the budget")
    now = now or utcnow()
    summary = BulkSummary()
    try:
        with uow_factory() as uow:
            job = (
                uow.bulk_jobs.get(business_id, job_id)
                if job_id and business_id is not None
                else None
            )
            if job_id and (job is None or job.status not in _UNENDED):
                return summary  # ended (a retry after the end was committed): nothing to do
            shape = bulk_csv.inspect(source)
            if business_id is not None and not job_id:
                assert budget is not None  # refused above
                spend(uow, budget, business_id, shape.rows, now=now, per_minute=False)
            if job is not None:
                summary = BulkSummary(job.done_rows, job.valid_rows, 0, job.error_rows)
                summary.not_valid = summary.rows - summary.valid - summary.errors
                uow.bulk_jobs.update(job.id, status=BulkStatus.RUNNING.value)
            uow.commit()
        run = _Run(uow_factory, who, business_id, budget, job_id, now, summary)
        # Resumed after its last committed batch: the rows before it are answered already.
        rows = itertools.islice(bulk_csv.read_rows(source, shape), summary.rows, None)
        if job_id:
            _check_all(run, rows, None, shape.rows, progress)
            _write_result(uow_factory, job_id, result)
        else:
            with result.open("w", encoding="utf-8-sig", newline="") as out:
                _check_all(run, rows, bulk_csv.ResultWriter(out), shape.rows, progress)
        if publish:
            publish(result)
    except SkillcardError as problem:
        _finish(uow_factory, job_id, BulkStatus.FAILED, problem.message, summary)
        raise
    except Exception:
        _finish(uow_factory, job_id, BulkStatus.FAILED, "the check failed unexpectedly", summary)
        raise
    _finish(uow_factory, job_id, BulkStatus.DONE, None, summary, who=who)
    return summary


_UNENDED = (BulkStatus.QUEUED, BulkStatus.RUNNING)


def _check_all(
    run: _Run,
    rows: Iterable[bulk_csv.BulkRow],
    writer: bulk_csv.ResultWriter | None,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    batch: list[bulk_csv.BulkRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            run.batch(batch, writer)
            batch = []
            if progress:
                progress(run.summary.rows, total)
    run.batch(batch, writer)
    if progress:
        progress(run.summary.rows, total)


def _write_result(
    uow_factory: Callable[..., AbstractUnitOfWork], job_id: str, result: Path
) -> None:
    """The result CSV from the job's stored rows, in the file's order (written whole again if
    a retry comes here twice; the rows go when the job is marked done). Read-only: on SQLite
    a writing transaction would hold the database's write lock for the whole file."""
    partial = result.with_name(result.name + ".part")
    with (
        uow_factory(read_only=True) as uow,
        partial.open("w", encoding="utf-8-sig", newline="") as out,
    ):
        writer = bulk_csv.ResultWriter(out)
        for answer in uow.bulk_jobs.result_rows(job_id):
            writer.write(answer)
    partial.replace(result)


@dataclass
class _Run:
    uow_factory: Callable[[], AbstractUnitOfWork]
    who: Principal
    business_id: int | None
    budget: Budget | None
    job_id: str | None
    now: dt.datetime
    summary: BulkSummary

    def batch(self, batch: list[bulk_csv.BulkRow], writer: bulk_csv.ResultWriter | None) -> None:
        """Check one batch, log it, count it, and commit: with a job, its answers by row index
        in the same transaction; else written to ``writer`` once committed."""
        if not batch:
            return
        summary = self.summary
        with self.uow_factory() as uow:
            answers, checked = check_rows(uow, batch, card_day(self.now))
            if self.business_id is not None:
                assert self.budget is not None  # run_bulk refuses a business without one
                self._log(uow, checked)
                no_matches = sum(1 for c in checked if c.view.outcome == CheckOutcome.NO_MATCH)
                note_outcomes(
                    uow, self.budget, self.business_id, no_matches, who=self.who, now=self.now
                )
            first = summary.rows
            summary.rows += len(batch)
            summary.valid += sum(1 for a in answers if a["outcome"] == CheckOutcome.VALID.value)
            summary.errors += sum(1 for a in answers if a["outcome"] == ERROR)
            summary.not_valid = summary.rows - summary.valid - summary.errors
            if self.job_id:
                uow.bulk_jobs.update(
                    self.job_id,
                    done_rows=summary.rows,
                    valid_rows=summary.valid,
                    error_rows=summary.errors,
                )
                uow.bulk_jobs.add_result_rows(self.job_id, first, answers)
            uow.commit()
        if writer is not None:
            for answer in answers:
                writer.write(answer)

    def _log(self, uow: AbstractUnitOfWork, checked: list[Checked]) -> None:
        who, now = self.who, self.now
        uow.checks.add_many(
            [log_values(c.view, c.found, scheme_id=c.scheme.id, who=who, at=now) for c in checked]
        )
        uow.business_checks.add_many(
            [
                {
                    "business_id": self.business_id,
                    "checked_at": now,
                    "method": BusinessCheckMethod.BULK.value,
                    "outcome": c.view.outcome.value,
                    "checker": who.label,
                    "checker_user_id": who.user_id,
                    "scheme": c.scheme.code,
                    "card_number": c.number,
                    "holder_name": c.view.holder_name or "",
                    "card_id": c.found.card.id if c.found is not None else None,
                    "site": "",
                    "note": "",
                    "bulk_job_id": self.job_id,
                }
                for c in checked
            ]
        )


def _finish(
    uow_factory: Callable[[], AbstractUnitOfWork],
    job_id: str | None,
    status: BulkStatus,
    message: str | None,
    summary: BulkSummary,
    who: Principal | None = None,
) -> None:
    if not job_id:
        return
    with uow_factory() as uow:
        values = {"status": status.value, "finished_at": utcnow()}
        if message:
            values["message"] = message[:500]
        uow.bulk_jobs.update(job_id, **values)
        uow.bulk_jobs.drop_result_rows(job_id)
        if who is not None:
            record(uow, who, "bulk.done", "bulk_job", job_id, detail=vars(summary))
        uow.commit()


def fail_unended(uow_factory: Callable[[], AbstractUnitOfWork], job_id: str, message: str) -> None:
    """End a queued or running job as failed, saying why, when it cannot be run at all (its
    upload is gone); a job that has ended stays as it ended."""
    with uow_factory() as uow:
        job = uow.bulk_jobs.by_id(job_id)
    if job is not None and job.status in _UNENDED:
        _finish(uow_factory, job_id, BulkStatus.FAILED, message, BulkSummary())


def job_status(
    *, uow: AbstractUnitOfWork, who: Principal, job_id: str, business_id: int | None = None
) -> BulkJob:
    """A job of the caller's own business (another's is as missing as none)."""
    business_id = business_id_for(who, business_id)
    with uow:
        job = uow.bulk_jobs.get(business_id, job_id)
        if job is None:
            raise NotFound("no such bulk check in your business")
    return job


def recent_jobs(
    *, uow: AbstractUnitOfWork, who: Principal, business_id: int | None = None
) -> list[BulkJob]:
    business_id = business_id_for(who, business_id)
    with uow:
        return uow.bulk_jobs.recent(business_id)
