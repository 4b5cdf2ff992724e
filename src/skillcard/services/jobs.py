"""Background work as named jobs on a queue: the catalogue of jobs a runner runs (the port a
service enqueues on is :class:`skillcard.services.ports.jobs.JobQueue`).

A service asks for a job inside its unit of work (``uow.jobs.enqueue(name, args)``), so the
job is committed with the change that asks for it, and a rolled-back change leaves none.
Two runners take jobs off the queue (adapters/jobs): Procrastinate's workers on PostgreSQL
(``skillcard worker``, or a worker thread in each serving process), and, for the embedded
SQLite default, a thread in the serving process polling a table. Both run the same
:func:`run_job` and the same :func:`periodic_jobs`, each periodic run once per deployment.

A job's arguments are plain JSON; everything else it needs (mailer, webhook poster, budget)
comes from the :class:`JobContext` the runner's entry point builds from the settings.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.retention import Retention
from skillcard.errors import Conflict
from skillcard.services.clock import SYSTEM_CLOCK, Clock
from skillcard.services.files.file_store import FileStore
from skillcard.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)

BULK_CHECK = "bulk.check"
ALERTS = "alerts.daily"
FILES_PURGE = "files.purge"  # every kind of stored file past its keeping
OUTBOX = "outbox.deliver"
WEBHOOKS = "webhooks.deliver"
CHECKPOINT = "audit.checkpoint"
ELIGIBILITY = "eligibility.reevaluate"
EXPIRY_NEAR = "changes.expiry_near"  # the card change feed's expiry announcements

SCHEDULER = Principal(label="alerts scheduler", role=Role.HUB_ADMIN)
RETENTION = Principal(label="retention scheduler", role=Role.HUB_ADMIN)
ANCHOR = Principal(label="audit checkpoint scheduler", role=Role.HUB_ADMIN)


@dataclass(frozen=True)
class Periodic:
    name: str
    cron: str  # five fields, or six with seconds last (Procrastinate's and croniter's form)


@dataclass
class JobContext:
    """What jobs need besides their arguments, built once by the runner's entry point."""

    uow_factory: Callable[..., AbstractUnitOfWork]
    public_url: str
    files: FileStore  # every host's: a job may run on any of them
    retention: Retention = field(default_factory=Retention)
    alerts_hour_utc: int | None = 6
    alerts_daily: bool = True
    checkpoint_minutes: int = 0
    deliver_seconds: int = 30
    mailer: Any = None
    post: Any = None
    retries: Any = None
    budget: Any = None
    clock: Clock = SYSTEM_CLOCK  # passed on to every job (a test sets the day)


def principal_args(who: Principal) -> dict[str, Any]:
    """Who asked for a job, as JSON (a job runs on their behalf, audited as them)."""
    return {k: (v.value if k == "role" else v) for k, v in dataclasses.asdict(who).items()}


def principal_of(args: dict[str, Any]) -> Principal:
    return Principal(**{**args, "role": Role(args["role"])})


def periodic_jobs(context: JobContext) -> list[Periodic]:
    """The periodic jobs this deployment's settings ask for."""
    jobs = []
    if context.alerts_hour_utc is not None:
        day = f"0 {context.alerts_hour_utc} * * *"
        if context.alerts_daily:
            jobs.append(Periodic(ALERTS, day))
        jobs.append(Periodic(FILES_PURGE, day))  # not optional: results name people
        jobs.append(Periodic(EXPIRY_NEAR, day))  # once per card per threshold, however often
    every = f"* * * * * */{max(1, min(context.deliver_seconds, 59))}"
    if context.mailer is not None:
        jobs.append(Periodic(OUTBOX, every))
    if context.post is not None:
        jobs.append(Periodic(WEBHOOKS, every))
    minutes = context.checkpoint_minutes
    if minutes:
        step = f"*/{minutes} * * * *" if minutes < 60 else f"0 */{min(minutes // 60, 23)} * * *"
        jobs.append(Periodic(CHECKPOINT, step))
    return jobs


def run_job(context: JobContext, name: str, args: dict[str, Any]) -> None:
    """Run one job. A job that cannot go on says why where its asker looks (a bulk check's
    page); this raises only for the runner's log and retry."""
    handler = _HANDLERS.get(name)
    if handler is None:
        raise ValueError(f"no job is called {name!r}")
    handler(context, args)


def _bulk_check(context: JobContext, args: dict[str, Any]) -> None:
    from skillcard.errors import SkillcardError
    from skillcard.services.business import bulk_results

    try:
        bulk_results.run_from_store(
            uow_factory=context.uow_factory,
            files=context.files,
            who=principal_of(args["who"]),
            job_id=args["job_id"],
            business_id=args["business_id"],
            budget=context.budget,
        )
    except SkillcardError:
        return  # the job says why it failed; retrying would fail the same way


def _alerts(context: JobContext, _args: dict[str, Any]) -> None:
    from skillcard.services.business import alerts

    run = alerts.run_alerts(
        uow_factory=context.uow_factory,
        who=SCHEDULER,
        public_url=context.public_url,
        post=context.post,
        retries=context.retries,
        now=context.clock.now(),
    )
    log.info("alerts: %s digests, %s webhooks", run.emails, run.webhooks)


def _purge(context: JobContext, _args: dict[str, Any]) -> None:
    from skillcard.services.files import file_retention

    done = file_retention.purge_files(
        uow_factory=context.uow_factory,
        who=RETENTION,
        files=context.files,
        retention=context.retention,
        now=context.clock.now(),
    )
    results, pictures = done.results, done.pictures
    log.info("bulk results: %s deleted, %s kept", len(results.expired), len(results.kept))
    log.info("invigilation pictures: %s attempts purged", len(pictures.attempts))


def _outbox(context: JobContext, _args: dict[str, Any]) -> None:
    from skillcard.services.outbox import outbox

    if context.mailer is not None:
        outbox.deliver_pending(context.uow_factory, context.mailer, now=context.clock.now())


def _webhooks(context: JobContext, _args: dict[str, Any]) -> None:
    from skillcard.services.business import webhooks

    if context.post is not None:
        webhooks.deliver_due(
            context.uow_factory, context.post, retries=context.retries, now=context.clock.now()
        )


def _checkpoint(context: JobContext, _args: dict[str, Any]) -> None:
    from skillcard.services.audit import audit_checkpoints

    try:
        made, new = audit_checkpoints.make_checkpoint(
            uow=context.uow_factory(), who=ANCHOR, only_if_moved=True, now=context.clock.now()
        )
    except Conflict:  # another process signed this head just now: it is signed
        return
    if new and made is not None:
        log.info("audit: checkpoint signed at event %s", made.seq)


def _eligibility(context: JobContext, args: dict[str, Any]) -> None:
    from skillcard.services.registry import eligibility_bulk

    eligibility_bulk.reevaluate_and_record(
        uow_factory=context.uow_factory,
        who=principal_of(args["who"]),
        scheme_code=args["scheme_code"],
        code=args["code"],
    )


def _expiry_near(context: JobContext, _args: dict[str, Any]) -> None:
    from skillcard.services.federation import expiry_near

    done = expiry_near.announce_expiry_near(
        uow_factory=context.uow_factory, now=context.clock.now()
    )
    log.info("change feed: %s expiry_near entries", done)


_HANDLERS: dict[str, Callable[[JobContext, dict[str, Any]], None]] = {
    BULK_CHECK: _bulk_check,
    ALERTS: _alerts,
    FILES_PURGE: _purge,
    OUTBOX: _outbox,
    WEBHOOKS: _webhooks,
    CHECKPOINT: _checkpoint,
    ELIGIBILITY: _eligibility,
    EXPIRY_NEAR: _expiry_near,
}
JOB_NAMES = tuple(_HANDLERS)
