"""A business's audit report as PDF: fpdf2 with the DejaVu fonts shipped in skillcard/fonts,
so every name prints (Núñez, Ó Súilleabháin), and the chart drawn with fpdf2's own shapes."""

from __future__ import annotations

from pathlib import Path

from skillcard.domain.labels import date_time, label, long_date, short_date_time

FONTS = Path(__file__).resolve().parent.parent / "fonts"
BAR_COLOURS = {
    "valid": (0, 112, 60),
    "expired": (164, 20, 31),
    "suspended": (164, 20, 31),
    "revoked": (110, 10, 20),
    "no_match": (80, 80, 80),
}


def report_pdf(report, max_rows: int = 5_000) -> bytes:
    """The PDF of a ``services.reports.Report``: title, period, summary counts, a bar chart
    of outcomes, and the table of the first ``max_rows`` checks, saying so if there are more
    (a longer table makes a PDF too slow to build and to open: the CSV has every check)."""
    from fpdf import FPDF

    # Landscape: the table's last column (who checked, where) needs the width to be read.
    pdf = FPDF(format="A4", orientation="landscape")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Check report: {report.business_name}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 9, f"Check report: {report.business_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(
        0, 7, f"Company registration number {report.company_number}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.cell(
        0,
        7,
        f"Period: {long_date(report.start)} to {long_date(report.end)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(
        0,
        7,
        f"Made {date_time(report.made_at)} by {report.made_by}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    _summary(pdf, report)
    _chart(pdf, report.by_outcome)
    if report.total > max_rows:
        _cut_note(pdf, max_rows, report.total)
    _table(pdf, report.checks[:max_rows])
    if report.total > max_rows:
        _cut_note(pdf, max_rows, report.total)
    return bytes(pdf.output())


def _cut_note(pdf, listed: int, total: int) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(
        0,
        6,
        f"This PDF lists the first {listed:,} of {total:,} checks. "
        "Download the report as CSV for every check.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)


def _summary(pdf, report) -> None:
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, "Summary", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    lines = [f"Checks made: {report.total}"]
    lines += [f"{label('method', m)}: {count}" for m, count in report.by_method.items()]
    lines += [f"{label('outcome', o)}: {count}" for o, count in report.by_outcome.items()]
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _chart(pdf, counts: dict[str, int]) -> None:
    """Horizontal bars, one per outcome, labelled with the outcome and its count."""
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, "Checks by outcome", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    top = max(counts.values(), default=0) or 1
    x0, width = pdf.l_margin + 62, pdf.w - pdf.l_margin - pdf.r_margin - 77
    for outcome, count in counts.items():
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(60, 7, _fit(pdf, label("outcome", outcome), 59))
        pdf.set_fill_color(*BAR_COLOURS.get(outcome, (60, 60, 60)))
        bar = max(0.5, width * count / top) if count else 0
        if bar:
            pdf.rect(x0, y + 1, bar, 5, style="F")
        pdf.set_xy(x0 + bar + 2, y)
        pdf.cell(15, 7, str(count), new_x="LMARGIN", new_y="NEXT")
    if not counts:
        pdf.cell(0, 7, "No checks in this period.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


COLUMNS = (("When", 36), ("How", 34), ("Card", 34), ("Holder", 50), ("Outcome", 40))


def _table(pdf, checks) -> None:
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, "Checks", new_x="LMARGIN", new_y="NEXT")
    rest = pdf.w - pdf.l_margin - pdf.r_margin - sum(w for _, w in COLUMNS)

    def header() -> None:
        pdf.set_font("DejaVu", "B", 9)
        for title, w in (*COLUMNS, ("Checker, site", rest)):
            pdf.cell(w, 6, title, border="B")
        pdf.ln()
        pdf.set_font("DejaVu", "", 8)

    header()
    for check in checks:
        if pdf.get_y() > pdf.h - 25:
            pdf.add_page()
            header()
        values = (
            short_date_time(check.checked_at),
            label("method", check.method),
            check.card_number,
            check.holder_name or "-",
            label("outcome", check.outcome),
            ", ".join(v for v in (check.checker, check.site) if v),
        )
        for value, (_, w) in zip(values, (*COLUMNS, ("", rest)), strict=True):
            pdf.cell(w, 5.5, _fit(pdf, value, w - 1))
        pdf.ln()


def _fit(pdf, text: str, width: float) -> str:
    """Cut text to the cell's width with an ellipsis, rather than let it run over."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
