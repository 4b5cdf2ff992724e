"""``skillcard import`` and ``skillcard connector``: a scheme's cards from its own system.

``import SCHEME FILE`` applies a file of card records (NDJSON or CSV, docs/connector.md) as
the API's import does, run here with a progress bar rather than by a job runner; the per-row
results go to ``-o`` as CSV. ``connector create`` makes a scheme's connector and prints its
token once.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.errors import InvalidInput

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]
_SHOWN = ("status", "created", "updated", "unchanged", "refused", "missing", "message")
app = typer.Typer(help="Scheme connectors: API credentials of a scheme's own system.")


def import_cards(
    scheme: Annotated[str, typer.Argument(help="The scheme's code, e.g. ECS")],
    source: Annotated[Path, typer.Argument(help="NDJSON or CSV of card records")],
    snapshot: Annotated[
        bool, typer.Option("--snapshot", help="Revoke the scheme's cards missing from the file")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check only; with --snapshot, count the missing")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write each row's outcome here (CSV)")
    ] = None,
    as_json: Json = False,
) -> None:
    """Import a scheme's card records: created, updated, unchanged or refused (with why).
    A file refused whole (another scheme's rows, a number twice, cut short) changes nothing
    and exits 2."""
    from skillcard.services.registry import card_imports

    if not source.is_file():
        raise InvalidInput(f"there is no file {str(source)!r}")
    import_id = uuid.uuid4().hex
    opened = card_imports.open_import(
        uow=uow(), who=OPERATOR, scheme_code=scheme, import_id=import_id,
        filename=source.name, source=source, snapshot=snapshot, dry_run=dry_run, queue=False,
    )  # fmt: skip
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, disable=as_json, transient=as_json) as bar:
        task = bar.add_task("Checking", total=opened.total_rows)

        def progress(now) -> None:
            applying = now.status in ("applying", "done") and now.done_rows
            bar.update(
                task,
                description="Applying" if applying else "Checking",
                completed=now.done_rows if applying else now.checked_rows,
                total=now.total_rows,
            )

        done = card_imports.run_import(
            uow_factory=uow, who=OPERATOR, import_id=import_id, source=source, progress=progress
        )
    if output is not None:
        lines = card_imports.result_lines(
            uow=uow(read_only=True), who=OPERATOR, scheme_code=scheme, import_id=import_id
        )
        with output.open("w", encoding="utf-8", newline="") as out:
            out.writelines(lines)
    counts = {k: getattr(done, k) for k in _SHOWN}
    if as_json:
        print_json({"id": done.id, **counts})
    else:
        missing = (
            f", {done.missing:,} missing from the snapshot" if done.missing is not None else ""
        )
        console.print(
            f"[bold]{done.status}[/]: {done.created:,} created, {done.updated:,} updated, "
            f"{done.unchanged:,} unchanged, {done.refused:,} refused{missing}. {done.message}"
        )
    if done.status != "done":
        raise typer.Exit(2)


@app.command("create")
def create(
    scheme: Annotated[str, typer.Argument(help="The scheme's code")],
    name: Annotated[str, typer.Argument(help="A name: lower-case letters, digits, dashes")],
    days: Annotated[int, typer.Option(help="How long its token lasts")] = 365,
    as_json: Json = False,
) -> None:
    """Make a connector for SCHEME and print its token (shown once)."""
    from skillcard.services.accounts import connectors

    made = connectors.create_connector(
        uow=uow(), who=OPERATOR, scheme_code=scheme, name=name, days=days
    )
    if as_json:
        print_json({"email": made.email, "scheme": made.scheme_code, "token": made.token})
    else:
        console.print(f"Connector {made.email}. Its token (shown once):\n{made.token}")
