"""How long a business's report takes to draw, by the number of checks it lists: why a PDF
lists at most SKILLCARD_REPORT_PDF_MAX_ROWS (5,000) checks and the CSV has them all.

    .venv/bin/python bench/report_pdf.py [--rows 1000 5000 20000]

No database: the checks are made in memory; only the drawing (fpdf2) and the CSV are timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from skillcard.domain.business import BusinessCheck
from skillcard.services.business import reports


def _report(rows: int) -> reports.Report:
    start = dt.datetime(2026, 1, 1, 7, tzinfo=dt.UTC)
    checks = [
        BusinessCheck(
            business_id=1,
            checked_at=start + dt.timedelta(minutes=i),
            method="single",
            outcome="valid" if i % 7 else "no_match",
            scheme="ECS",
            card_number=f"ECS{i:08d}",
            holder_name=f"Worker Número {i}",
            checker="boss@acme.test",
            site="Titanic Quarter",
        )
        for i in range(rows)
    ]
    return reports.Report(
        business_name="Acme Builders",
        company_number="01234567",
        start=start.date(),
        end=start.date() + dt.timedelta(days=90),
        made_at=start,
        made_by="boss@acme.test",
        checks=checks,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 5_000, 20_000])
    args = parser.parse_args()
    print(f"{'checks':>8} {'PDF s':>8} {'PDF MB':>8} {'pages':>6} {'CSV s':>8}")
    for rows in args.rows:
        report = _report(rows)
        began = time.perf_counter()
        pdf = reports.report_pdf(report, max_rows=rows)
        drawn = time.perf_counter() - began
        began = time.perf_counter()
        reports.report_csv(report)
        csv_time = time.perf_counter() - began
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
        print(f"{rows:>8,} {drawn:>8.2f} {len(pdf) / 1e6:>8.2f} {pages:>6} {csv_time:>8.3f}")


if __name__ == "__main__":
    main()
