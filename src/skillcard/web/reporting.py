"""Making a business's report for a request, from the API or the pages: within the process's
report slots (429 when they are all busy), the PDF cut at the settings' row cap."""

from __future__ import annotations

import threading

from fastapi import Request
from fastapi.responses import Response

from skillcard.services import reports

_CREATING = threading.Lock()


def report_slots(request: Request) -> reports.BuildSlots:
    """This process's slots, made on first use from the app's settings."""
    state = request.app.state
    with _CREATING:
        if getattr(state, "report_slots", None) is None:
            state.report_slots = reports.BuildSlots(state.settings.report_builds_at_once)
    return state.report_slots


def build(request: Request, **arguments) -> reports.Report:
    """``reports.build_report(**arguments)`` in one of the slots. Called from the routes'
    worker threads (they are plain ``def``), never on the event loop."""
    with report_slots(request).hold():
        return reports.build_report(**arguments)


def download(request: Request, **arguments) -> Response:
    """The report as an attachment: ``arguments["form"]`` is pdf or csv."""
    form, start, end = arguments["form"], arguments["start"], arguments["end"]
    with report_slots(request).hold():
        made = reports.build_report(**arguments)
        if form == "csv":
            content, media = reports.report_csv(made), "text/csv"
        else:
            rows = request.app.state.settings.report_pdf_max_rows
            content, media = reports.report_pdf(made, max_rows=rows), "application/pdf"
    name = f"checks-{start}-to-{end}.{form}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media, headers=headers)
