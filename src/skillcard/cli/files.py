"""``skillcard files``: the stored files (a directory, or the database's table)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from skillcard.cli.common import OPERATOR, console, files, print_json, uow

app = typer.Typer(help="Stored files: how long each kind is kept.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command("purge")
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be deleted")
    ] = False,
    as_json: Json = False,
) -> None:
    """Delete the files kept past their time: bulk check results older than
    SKILLCARD_BULK_RESULT_DAYS, and the webcam snapshots and identity photos of HSE attempts
    decided more than SKILLCARD_SNAPSHOT_APPEAL_DAYS ago. The daily periodic job `files.purge`
    does this."""
    from skillcard.config import get_settings
    from skillcard.services.files.file_retention import purge_files

    retention = get_settings().retention()
    done = purge_files(
        uow_factory=uow, who=OPERATOR, files=files(), retention=retention, dry_run=dry_run
    )
    results, pictures = done.results, done.pictures
    if as_json:
        print_json({"dry_run": dry_run, "results": vars(results), "pictures": vars(pictures)})
        return
    verb = "Would delete" if dry_run else "Deleted"
    console.print(
        f"{verb} the results of {len(results.expired):,} bulk check(s) finished more than "
        f"{retention.result_days} days ago, and {pictures.files:,} picture(s) of "
        f"{len(pictures.attempts):,} HSE attempt(s) decided more than "
        f"{retention.snapshot_appeal_days} days ago."
    )
    if results.kept:
        console.print(f"[yellow]Could not delete {len(results.kept):,}[/] result(s): kept.")


@app.command("copy")
def copy(
    source: Annotated[
        Path,
        typer.Argument(help="A files directory (SKILLCARD_FILES_DIR of the local store)"),
    ],
    as_json: Json = False,
) -> None:
    """Copy every file of a local files directory into the store the settings name (before
    switching a deployment to SKILLCARD_FILE_STORE=database). Safe to run again."""
    from skillcard.adapters.file_stores import LocalFileStore
    from skillcard.errors import InvalidInput
    from skillcard.services.files.file_store import copy_files

    if not source.is_dir():
        raise InvalidInput(f"{source} is not a directory")
    target = files()
    if isinstance(target, LocalFileStore) and target.root.resolve() == source.resolve():
        raise InvalidInput("the files are there already: set SKILLCARD_FILE_STORE=database")
    copied = copy_files(LocalFileStore(source), target)
    if as_json:
        print_json({"copied": copied})
        return
    console.print(
        f"Copied {sum(copied.values()):,} file(s): "
        + ", ".join(f"{count:,} {kind}" for kind, count in copied.items())
        + "."
    )
