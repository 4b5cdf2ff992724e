"""A holder's CPD record as CSV and as PDF (fpdf2 with DejaVu, so any name prints).

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe: a title like ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from fpdf import FPDF

from skillcard.domain.business import neutralise
from skillcard.domain.cpd import CpdType
from skillcard.domain.labels import long_date
from skillcard.services.clock import utcnow
from skillcard.services.mycard.cpd import CpdLog

FONTS = Path(__file__).resolve().parents[2] / "fonts"
COLUMNS = [
    "date",
    "type",
    "title",
    "provider",
    "hours",
    "status",
    "learned",
    "reflection",
    "evidence",
]


def cpd_csv(log: CpdLog) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in log.entries:
        r = entry.record
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    r.activity_on.isoformat(),
                    CpdType(r.activity_type).label,
                    r.title,
                    r.provider,
                    f"{r.hours:g}",
                    "verified" if r.verified else "self-declared",
                    r.learned,
                    r.reflection,
                    " | ".join(f.filename for f in entry.evidence),
                )
            ]
        )
    return out.getvalue()


def cpd_pdf(log: CpdLog, *, generated: dt.datetime | None = None) -> bytes:
    """An A4 PDF: who, progress to target, a bar chart by month, then every entry."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"CPD record of {log.holder_name}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, f"CPD record: {log.holder_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    when = long_date(generated or utcnow())
    p = log.progress
    pdf.multi_cell(
        0,
        6,
        f"Made on {when}. In {p.year}: {p.hours:g} of {p.target_hours:g} hours "
        f"({p.percent}% of the yearly target from {log.target_from}); "
        f"{p.verified_hours:g} hours verified by an assessor.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _month_chart(pdf, p.by_month)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, f"Activities ({len(log.entries)})", new_x="LMARGIN", new_y="NEXT")
    for entry in log.entries:
        r = entry.record
        pdf.set_font("DejaVu", "B", 10)
        status = "verified" if r.verified else "self-declared"
        _paragraph(pdf, f"{long_date(r.activity_on)}: {r.title} ({r.hours:g} h, {status})", 5)
        pdf.set_font("DejaVu", "", 9)
        _paragraph(pdf, CpdType(r.activity_type).label + (f", {r.provider}" if r.provider else ""))
        if r.learned:
            _paragraph(pdf, f"Learned: {r.learned}")
        if r.reflection:
            _paragraph(pdf, f"Reflection: {r.reflection}")
        if entry.evidence:
            _paragraph(pdf, "Evidence: " + ", ".join(f.filename for f in entry.evidence))
        pdf.ln(2)
    return bytes(pdf.output())


def _paragraph(pdf: FPDF, text: str, height: float = 4.5) -> None:
    """Text wrapped to the page by whole words, one cell per line. fpdf2's multi_cell measures
    the whole line again for every character (seconds for a 200-entry record); measuring each
    word once keeps the PDF quick."""
    width = pdf.epw
    space = pdf.get_string_width(" ")
    widths: dict[str, float] = {}
    for source_line in text.splitlines() or [""]:
        line: list[str] = []
        used = 0.0
        for word in source_line.split(" "):
            w = widths.get(word)
            if w is None:
                w = widths[word] = pdf.get_string_width(word)
            if line and used + space + w > width:
                pdf.cell(0, height, " ".join(line), new_x="LMARGIN", new_y="NEXT")
                line, used = [], 0.0
            if w > width:  # one word wider than the page (a long file name): let fpdf2 cut it
                pdf.multi_cell(0, height, word, new_x="LMARGIN", new_y="NEXT")
                continue
            used += (space if line else 0) + w
            line.append(word)
        pdf.cell(0, height, " ".join(line), new_x="LMARGIN", new_y="NEXT")


def _month_chart(pdf: FPDF, by_month: tuple[float, ...]) -> None:
    """Twelve bars drawn with fpdf2's own rectangles (no chart library)."""
    left, top, height, width = pdf.l_margin, pdf.get_y() + 4, 35.0, 180.0
    peak = max(by_month) or 1.0
    bar = width / 12
    pdf.set_font("DejaVu", "", 7)
    pdf.set_fill_color(11, 61, 46)
    for month, hours in enumerate(by_month):
        h = height * hours / peak
        x = left + month * bar
        if h > 0:
            pdf.rect(x + 2, top + height - h, bar - 4, h, style="F")
            pdf.text(x + 2, top + height - h - 1, f"{hours:g}")
        pdf.text(x + 3, top + height + 4, dt.date(2000, month + 1, 1).strftime("%b"))
    pdf.set_y(top + height + 8)
