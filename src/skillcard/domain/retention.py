"""How long each kind of stored file is kept, in one place.

- a bulk check's **upload**: only while its job is queued or running;
- a bulk check's **result** (it lists holders' names): ``result_days`` after the job finished
  (or, for a job that never finished, after it was made);
- an HSE attempt's **snapshots and identity photos**: until its invigilation review is decided,
  then ``snapshot_appeal_days`` more, the window in which the candidate may appeal. An attempt
  not yet decided keeps them, however old.
- photos and evidence: as long as a record uses them (their stores delete what nothing uses).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

UNFINISHED_JOB = ("queued", "running")


@dataclass(frozen=True)
class Retention:
    result_days: int = 30
    snapshot_appeal_days: int = 30

    def __post_init__(self) -> None:
        if self.result_days < 1 or self.snapshot_appeal_days < 1:
            raise ValueError("files are kept at least a day")

    def keeps_upload(self, job_status: str) -> bool:
        return job_status in UNFINISHED_JOB

    def results_finished_before(self, now: dt.datetime) -> dt.datetime:
        """A finished job's result goes once it finished before this moment."""
        return now - dt.timedelta(days=self.result_days)

    def snapshots_decided_before(self, now: dt.datetime) -> dt.datetime:
        """An attempt's pictures go once its review was decided before this moment."""
        return now - dt.timedelta(days=self.snapshot_appeal_days)

    def keeps_snapshots(self, decided_at: dt.datetime | None, now: dt.datetime) -> bool:
        return decided_at is None or decided_at >= self.snapshots_decided_before(now)
