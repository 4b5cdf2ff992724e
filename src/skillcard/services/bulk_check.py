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
from collections.abc import Callable
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
from skillcard.domain.card_numbers import normalise_card_number
from skillcard.domain.cards import CardFacts, CardStatus
from skillcard.domain.checks import EXPIRING_SOON, OUTCOME_OF_STATE, CheckOutcome
from skillcard.domain.names import surname_key
from skillcard.errors import InvalidInput, NotFound, SkillcardError
from skillcard.services.audit import record, utcnow
from skillcard.services.business import business_id_for
from skillcard.services.business_budget import Budget, note_outcomes, spend
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


class _Schemes:
    """The schemes, held in memory for a whole file: by code, and by number prefix."""

    def __init__(self, schemes) -> None:
        self.by_code = {s.code.upper(): s for s in schemes}
        self.by_prefix = {s.number_prefix: s for s in schemes}
        self.lengths = sorted({len(p) for p in self.by_prefix}, reverse=True)

    def resolve(self, number: str, code: str):
        """(scheme, normalised number), or InvalidInput naming what is wrong."""
        if code:
            scheme = self.by_code.get(code.strip().upper())
            if scheme is None:
                raise InvalidInput(f"there is no scheme {code!r}")
        else:
            plain = normalise_card_number(number)
            scheme = next(
                (self.by_prefix[plain[:n]] for n in self.lengths if plain[:n] in self.by_prefix),
                None,
            )
            if scheme is None:
                raise InvalidInput("not a card number of any scheme skillcard knows")
        return scheme, scheme.number_format.parse(number)


def _answer(row: bulk_csv.BulkRow, **values) -> dict:
    base = {"row": row.line, "number": row.number, "surname": row.surname, "label": row.label}
    return {**base, "scheme": row.scheme, **values}


def check_rows(uow, rows: list[bulk_csv.BulkRow], schemes: _Schemes, today: dt.date):
    """Each row's answer (for the result CSV) and, for rows that were checks, what to log."""
    answers: list[dict] = [{}] * len(rows)
    wanted: dict[int, list[tuple[int, str]]] = {}  # scheme id -> [(row index, number)]
    resolved = {}
    for index, row in enumerate(rows):
        if row.error:
            answers[index] = _answer(row, outcome=ERROR, error=row.error)
            continue
        try:
            scheme, number = schemes.resolve(row.number, row.scheme)
        except InvalidInput as problem:
            answers[index] = _answer(row, outcome=ERROR, error=problem.message)
            continue
        resolved[index] = (scheme, number)
        wanted.setdefault(scheme.id, []).append((index, number))
    found = uow.card_lookup.for_numbers(
        {scheme_id: sorted({n for _, n in items}) for scheme_id, items in wanted.items()}
    )
    logs = []
    for index, (scheme, number) in resolved.items():
        row, card = rows[index], found.get((scheme.id, number))
        matched = card is not None and card.surname_key == surname_key(row.surname)
        values = {"scheme": scheme.code, "number": number, "warning": "", "error": ""}
        if matched:
            state_card = CardFacts(CardStatus(card.status), card.issued_on, card.expires_on)
            outcome = OUTCOME_OF_STATE[state_card.state_on(today)]
            values.update(
                outcome=outcome.value,
                warning=EXPIRING_SOON if state_card.expiring_soon(today) else "",
                holder_name=f"{card.given_names} {card.surname}",
                card_type=card.card_type,
                expires_on=card.expires_on.isoformat(),
            )
        else:
            outcome = CheckOutcome.NO_MATCH
            values["outcome"] = outcome.value
        answers[index] = {**_answer(row), **values}
        logs.append((scheme, number, outcome, card.id if card is not None else None, values))
    return answers, logs


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
    now: dt.datetime | None = None,
) -> BulkSummary:
    """Check every row of ``source`` and write the answers to ``result``. With a business,
    each check goes into its history (and the card's check log), and its answers of no match
    are counted towards a burst; with a job (opened by :func:`start_bulk`, which drew the
    rows), its progress is committed batch by batch. A business's file without a job (the
    command line) draws its rows here, first. ``progress(done, total)`` is called after each
    batch."""
    if business_id is not None and budget is None:
        raise ValueError("a business's bulk check draws on its budget: pass the budget")
    now = now or utcnow()
    summary = BulkSummary()
    try:
        with uow_factory() as uow:
            job = uow.bulk_jobs.get(business_id, job_id) if job_id else None
            if job_id and (job is None or job.status not in _UNENDED):
                return summary  # ended (a retry after the end was committed): nothing to do
            shape = bulk_csv.inspect(source)
            schemes = _Schemes(uow.schemes.list())
            if business_id is not None and not job_id:
                spend(uow, budget, business_id, shape.rows, now=now, per_minute=False)
            if job is not None:
                summary = BulkSummary(job.done_rows, job.valid_rows, 0, job.error_rows)
                summary.not_valid = summary.rows - summary.valid - summary.errors
                uow.bulk_jobs.update(job_id, status=BulkStatus.RUNNING.value)
            uow.commit()
        run = _Run(uow_factory, who, schemes, business_id, budget, job_id, now, summary)
        # Resumed after its last committed batch: the rows before it are answered already.
        rows = itertools.islice(bulk_csv.read_rows(source, shape), summary.rows, None)
        if job_id:
            _check_all(run, rows, None, shape.rows, progress)
            _write_result(uow_factory, job_id, result)
        else:
            with result.open("w", encoding="utf-8-sig", newline="") as out:
                _check_all(run, rows, bulk_csv.ResultWriter(out), shape.rows, progress)
    except SkillcardError as problem:
        _finish(uow_factory, job_id, BulkStatus.FAILED, problem.message, summary)
        raise
    except Exception:
        _finish(uow_factory, job_id, BulkStatus.FAILED, "the check failed unexpectedly", summary)
        raise
    _finish(uow_factory, job_id, BulkStatus.DONE, None, summary, who=who)
    return summary


_UNENDED = (BulkStatus.QUEUED, BulkStatus.RUNNING)


def _check_all(run, rows, writer, total: int, progress) -> None:
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


def _write_result(uow_factory, job_id: str, result: Path) -> None:
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
    schemes: _Schemes
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
            answers, logs = check_rows(uow, batch, self.schemes, self.now.date())
            if self.business_id is not None:
                self._log(uow, logs)
                no_matches = sum(1 for log in logs if log[2] == CheckOutcome.NO_MATCH)
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

    def _log(self, uow, logs) -> None:
        who, now = self.who, self.now
        uow.card_lookup.log_checks(
            [
                {
                    "checked_at": now,
                    "method": "number",
                    "outcome": outcome.value,
                    "card_id": card_id,
                    "scheme_id": scheme.id,
                    "checker_user_id": who.user_id,
                    "warnings": values["warning"],
                }
                for scheme, _number, outcome, card_id, values in logs
            ]
        )
        uow.business_checks.add_many(
            [
                {
                    "business_id": self.business_id,
                    "checked_at": now,
                    "method": BusinessCheckMethod.BULK.value,
                    "outcome": outcome.value,
                    "checker": who.label,
                    "checker_user_id": who.user_id,
                    "scheme": scheme.code,
                    "card_number": number,
                    "holder_name": values.get("holder_name", ""),
                    "card_id": card_id,
                    "site": "",
                    "note": "",
                    "bulk_job_id": self.job_id,
                }
                for scheme, number, outcome, card_id, values in logs
            ]
        )


def _finish(uow_factory, job_id, status, message, summary, who=None) -> None:
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


def recent_jobs(*, uow: AbstractUnitOfWork, who: Principal, business_id: int | None = None):
    business_id = business_id_for(who, business_id)
    with uow:
        return uow.bulk_jobs.recent(business_id)
