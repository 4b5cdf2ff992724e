"""A business's audit report for a date range: the checks it made, counted and listed, as
PDF or CSV. Making one is itself recorded in the audit log (who looked at what, when).

Reports are the heaviest reads a business can ask for, so two limits keep a few large ones
from slowing everyone's checks: a PDF lists at most ``pdf_max_rows`` checks (its counts cover
them all; it says where it stopped and that the CSV has every one), and a process builds at
most a few reports at once (``BuildSlots``): the next is told to try again in a minute.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from skillcard.domain.accounts import Principal
from skillcard.domain.business import BusinessCheck
from skillcard.domain.calendar import day_start
from skillcard.errors import InvalidInput, RateLimited
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business.business import business_id_for
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

MAX_DAYS = 366 * 3
MAX_CHECKS = 100_000  # a report beyond this should be split by period
PDF_MAX_ROWS = 5_000  # the default of Settings.report_pdf_max_rows
CSV_HEADER = [
    "checked_at",
    "method",
    "outcome",
    "scheme",
    "card_number",
    "holder_name",
    "checker",
    "site",
    "latitude",
    "longitude",
    "face_confirmed",
    "note",
    "synced_at",
]


@dataclass(frozen=True)
class Report:
    business_name: str
    company_number: str
    start: dt.date
    end: dt.date  # inclusive
    made_at: dt.datetime
    made_by: str
    checks: list[BusinessCheck]

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def by_outcome(self) -> dict[str, int]:
        return dict(sorted(Counter(str(c.outcome) for c in self.checks).items()))

    @property
    def by_method(self) -> dict[str, int]:
        """Checks counted by how they were made, keyed by the method's code word."""
        return dict(sorted(Counter(str(c.method) for c in self.checks).items()))


class BuildSlots:
    """At most ``size`` reports built at once in this process; one more is refused at once
    (429), not queued, so waiting reports never pile up behind the checks' threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = threading.BoundedSemaphore(size)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            raise RateLimited(
                f"{self.size} reports are being made just now: try again in a minute",
                retry_after=60,
            )
        try:
            yield
        finally:
            self._free.release()


def period(
    start: str | dt.date | None, end: str | dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """A report's dates from what was typed: default the last 30 days, end inclusive."""
    try:
        end = dt.date.fromisoformat(end) if isinstance(end, str) and end else (end or today)
        start = (
            dt.date.fromisoformat(start)
            if isinstance(start, str) and start
            else (start or end - dt.timedelta(days=30))
        )
    except ValueError:
        raise InvalidInput("give dates as YYYY-MM-DD, e.g. 2026-05-01") from None
    if start > end:
        raise InvalidInput("the start date is after the end date")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput("a report covers at most three years: choose a shorter period")
    return start, end


def build_report(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    start: dt.date,
    end: dt.date,
    form: str = "view",
    business_id: int | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The report, and an audit event saying who viewed or exported it (``form``: view, pdf,
    csv), in one transaction."""
    business_id = business_id_for(who, business_id)
    now = now or utcnow()
    begin, finish = day_start(start), day_start(end + dt.timedelta(days=1))
    with uow:
        business = on_record(uow.businesses.get(business_id), "the business")
        checks = uow.business_checks.between(business_id, begin, finish, MAX_CHECKS + 1)
        if len(checks) > MAX_CHECKS:
            raise InvalidInput(f"more than {MAX_CHECKS:,} checks: choose a shorter period")
        record(
            uow,
            who,
            f"report.{form}",
            "business",
            business_id,
            detail={"start": start.isoformat(), "end": end.isoformat(), "checks": len(checks)},
            now=now,
        )
        uow.commit()
    return Report(
        business_name=business.name,
        company_number=business.company_number,
        start=start,
        end=end,
        made_at=now,
        made_by=who.label,
        checks=checks,
    )


def report_csv(report: Report) -> str:
    from skillcard.adapters.bulk_csv import write_csv

    out = io.StringIO()
    write_csv(
        out,
        CSV_HEADER,
        (
            [
                c.checked_at.isoformat(),
                c.method,
                c.outcome,
                c.scheme,
                c.card_number,
                c.holder_name,
                c.checker,
                c.site,
                "" if c.latitude is None else c.latitude,
                "" if c.longitude is None else c.longitude,
                "" if c.face_confirmed is None else ("yes" if c.face_confirmed else "no"),
                c.note,
                c.synced_at.isoformat() if c.synced_at else "",
            ]
            for c in report.checks
        ),
    )
    return out.getvalue()


def report_pdf(report: Report, max_rows: int = PDF_MAX_ROWS) -> bytes:
    """The PDF, listing at most ``max_rows`` checks (it says so when there are more)."""
    from skillcard.adapters.report_pdf import report_pdf as draw

    return draw(report, max_rows=max_rows)
