"""Making a business's report for a request, from the API or the pages: within the process's
report slots and the deployment's (PostgreSQL advisory locks), 429 when they are all busy;
the PDF cut at the settings' row cap."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from fastapi import Request
from fastapi.responses import Response

from skillcard.adapters.db.report_slots import DatabaseBuildSlots
from skillcard.services.business import reports

_CREATING = threading.Lock()


def report_slots(request: Request) -> reports.BuildSlots:
    """This process's slots, made on first use from the app's settings."""
    state = request.app.state
    with _CREATING:
        if getattr(state, "report_slots", None) is None:
            state.report_slots = reports.BuildSlots(state.settings.report_builds_at_once)
        if getattr(state, "deployment_report_slots", None) is None:
            state.deployment_report_slots = DatabaseBuildSlots(
                state.engine, state.settings.report_builds_in_deployment
            )
    return state.report_slots


@contextlib.contextmanager
def _slot(request: Request) -> Iterator[None]:
    """A slot of this process's, then one of the deployment's (the cheap check first)."""
    with report_slots(request).hold(), request.app.state.deployment_report_slots.hold():
        yield


def build(request: Request, **arguments) -> reports.Report:
    """``reports.build_report(**arguments)`` in one of the slots. Called from the routes'
    worker threads (they are plain ``def``), never on the event loop."""
    with _slot(request):
        return reports.build_report(**arguments)


def download(request: Request, **arguments) -> Response:
    """The report as an attachment: ``arguments["form"]`` is pdf or csv."""
    form, start, end = arguments["form"], arguments["start"], arguments["end"]
    with _slot(request):
        made = reports.build_report(**arguments)
        if form == "csv":
            content: str | bytes = reports.report_csv(made)
            media = "text/csv"
        else:
            rows = request.app.state.settings.report_pdf_max_rows
            content, media = reports.report_pdf(made, max_rows=rows), "application/pdf"
    name = f"checks-{start}-to-{end}.{form}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media, headers=headers)
