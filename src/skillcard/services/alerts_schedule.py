"""The daily alerts run, the daily purge of old bulk check results, the delivery of the
outbox and of webhooks (retries included), and the audit chain's signed checkpoints, inside
``skillcard serve``: one thread in the serving parent process (however many workers serve
requests), no extra dependency.

Several servers may each run it: the digest's dedupe keys and the workforce's
``alerted_state`` keep a card from being told of twice, a purged job is not purged again, and
the chain's head is signed once (one checkpoint per sequence number).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from skillcard.domain.accounts import Principal
from skillcard.errors import Conflict
from skillcard.services import alerts, audit_checkpoints, bulk_results, outbox, webhooks
from skillcard.services.outbox import Mailer
from skillcard.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)
SCHEDULER = Principal(label="alerts scheduler", role=Principal.operator().role)
RETENTION = Principal(label="retention scheduler", role=Principal.operator().role)
ANCHOR = Principal(label="audit checkpoint scheduler", role=Principal.operator().role)


def next_run(now: dt.datetime, hour: int) -> dt.datetime:
    """The next time of day ``hour``:00 UTC strictly after ``now``."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + dt.timedelta(days=1)


class Scheduler(threading.Thread):
    """Once a day at ``hour`` UTC (never with ``hour`` None) runs the alerts (unless
    ``alerts`` is false) and, given ``bulk_folder``, purges bulk results older than
    ``bulk_result_days``; sends the outbox every ``deliver_every`` seconds given a mailer,
    and the webhook deliveries that are due given ``post``; signs a checkpoint of the audit
    chain every ``checkpoint_every`` seconds (never with None), when the chain has moved
    since the last."""

    def __init__(
        self,
        uow_factory: Callable[[], AbstractUnitOfWork],
        *,
        public_url: str,
        hour: int | None,
        alerts: bool = True,
        bulk_folder: Path | None = None,
        bulk_result_days: int = 30,
        mailer: Mailer | None = None,
        deliver_every: float = 30.0,
        checkpoint_every: float | None = None,
        post: webhooks.Poster | None = None,
        retries: webhooks.Retries = webhooks.Retries(),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        super().__init__(name="skillcard-scheduler", daemon=True)
        self.uow_factory, self.public_url, self.hour = uow_factory, public_url, hour
        self.alerts, self.bulk_folder, self.bulk_result_days = alerts, bulk_folder, bulk_result_days
        self.mailer, self.deliver_every, self.clock = mailer, deliver_every, clock
        self.checkpoint_every = checkpoint_every
        self.post, self.retries = post, retries
        self.stopping = threading.Event()
        self.checkpoints = 0
        self.runs = 0
        self.purges = 0

    def stop(self) -> None:
        self.stopping.set()

    def run_alerts_once(self) -> alerts.AlertRun | None:
        try:
            run = alerts.run_alerts(
                uow_factory=self.uow_factory,
                who=SCHEDULER,
                public_url=self.public_url,
                post=self.post,
                retries=self.retries,
            )
        except Exception:  # a bad day must not stop tomorrow's run
            log.exception("the daily alerts run failed")
            return None
        self.runs += 1
        log.info("alerts: %s digests, %s webhooks", run.emails, run.webhooks)
        return run

    def purge_once(self) -> bulk_results.Purge | None:
        if self.bulk_folder is None:
            return None
        try:
            done = bulk_results.purge_results(
                uow_factory=self.uow_factory,
                who=RETENTION,
                folder=self.bulk_folder,
                days=self.bulk_result_days,
                now=self.clock(),
            )
        except Exception:  # as with the alerts: tomorrow's purge still runs
            log.exception("purging old bulk check results failed")
            return None
        self.purges += 1
        log.info("bulk results: %s deleted, %s kept", len(done.expired), len(done.kept))
        return done

    def deliver(self) -> None:
        if self.mailer is not None:
            try:
                outbox.deliver_pending(self.uow_factory, self.mailer)
            except Exception:
                log.exception("sending the outbox failed")
        if self.post is not None:
            try:
                webhooks.deliver_due(self.uow_factory, self.post, retries=self.retries)
            except Exception:  # as with the outbox: the next round tries again
                log.exception("delivering webhooks failed")

    def checkpoint_once(self) -> None:
        try:
            made, new = audit_checkpoints.make_checkpoint(
                uow=self.uow_factory(), who=ANCHOR, only_if_moved=True, now=self.clock()
            )
        except Conflict:  # another server signed this head just now: it is signed
            return
        except Exception:  # as with the alerts: the next interval still signs
            log.exception("signing a checkpoint of the audit log failed")
            return
        if new and made is not None:
            self.checkpoints += 1
            log.info("audit: checkpoint signed at event %s", made.seq)

    def run(self) -> None:
        due = None if self.hour is None else next_run(self.clock(), self.hour)
        every = self.checkpoint_every
        anchor_due = None if every is None else self.clock() + dt.timedelta(seconds=every)
        while not self.stopping.is_set():
            if anchor_due is not None and self.clock() >= anchor_due:
                self.checkpoint_once()
                anchor_due = self.clock() + dt.timedelta(seconds=every or 0)
            if due is not None and self.clock() >= due:
                if self.alerts:
                    self.run_alerts_once()
                if self.bulk_folder is not None:
                    self.purge_once()
                due = None if self.hour is None else next_run(self.clock(), self.hour)
            self.deliver()
            wait = 3600.0 if due is None else (due - self.clock()).total_seconds()
            if self.mailer is not None or self.post is not None:
                wait = min(wait, self.deliver_every)
            if anchor_due is not None:
                wait = min(wait, (anchor_due - self.clock()).total_seconds())
            self.stopping.wait(max(1.0, min(wait, 3600.0)))
