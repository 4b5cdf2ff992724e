"""The daily alerts run and the outbox's delivery, inside ``skillcard serve``: one thread in
the serving parent process (however many workers serve requests), no extra dependency.

Several servers may each run it: the digest's dedupe keys and the workforce's
``alerted_state`` keep a card from being told of twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from skillcard.domain.accounts import Principal
from skillcard.services import alerts, outbox

log = logging.getLogger(__name__)
SCHEDULER = Principal(label="alerts scheduler", role=Principal.operator().role)


def next_run(now: dt.datetime, hour: int) -> dt.datetime:
    """The next time of day ``hour``:00 UTC strictly after ``now``."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + dt.timedelta(days=1)


class Scheduler(threading.Thread):
    """Runs the alerts once a day at ``hour`` UTC (never with ``hour`` None), and sends the
    outbox every ``deliver_every`` seconds when a mailer is given."""

    def __init__(
        self,
        uow_factory: Callable,
        *,
        public_url: str,
        hour: int | None,
        mailer=None,
        deliver_every: float = 30.0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        super().__init__(name="skillcard-scheduler", daemon=True)
        self.uow_factory, self.public_url, self.hour = uow_factory, public_url, hour
        self.mailer, self.deliver_every, self.clock = mailer, deliver_every, clock
        self.stopping = threading.Event()
        self.runs = 0

    def stop(self) -> None:
        self.stopping.set()

    def run_alerts_once(self) -> alerts.AlertRun | None:
        try:
            run = alerts.run_alerts(
                uow_factory=self.uow_factory,
                who=SCHEDULER,
                public_url=self.public_url,
                post=alerts.default_poster(),
            )
        except Exception:  # a bad day must not stop tomorrow's run
            log.exception("the daily alerts run failed")
            return None
        self.runs += 1
        log.info("alerts: %s digests, %s webhooks", run.emails, run.webhooks)
        return run

    def deliver(self) -> None:
        if self.mailer is None:
            return
        try:
            outbox.deliver_pending(self.uow_factory, self.mailer)
        except Exception:
            log.exception("sending the outbox failed")

    def run(self) -> None:
        due = None if self.hour is None else next_run(self.clock(), self.hour)
        while not self.stopping.is_set():
            if due is not None and self.clock() >= due:
                self.run_alerts_once()
                due = next_run(self.clock(), self.hour)
            self.deliver()
            wait = 3600.0 if due is None else (due - self.clock()).total_seconds()
            if self.mailer is not None:
                wait = min(wait, self.deliver_every)
            self.stopping.wait(max(1.0, min(wait, 3600.0)))
