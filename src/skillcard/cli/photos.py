"""``skillcard photos``: the cardholders' photo files on disk."""

from __future__ import annotations

from typing import Annotated

import typer

from skillcard.cli.common import OPERATOR, console, files, print_json, uow

app = typer.Typer(help="Cardholders' photo files.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command("sweep")
def sweep(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say which files would be deleted")
    ] = False,
    as_json: Json = False,
) -> None:
    """Delete photo files no cardholder has any more (left by crashes, or replaced before
    replacing deleted them), and temporary files of interrupted uploads. Files written in the
    last hour are left alone: their upload may not have finished."""
    from skillcard.adapters.photos import PhotoStore
    from skillcard.services.registry.photo_files import sweep_photos

    store = PhotoStore(files())
    done = sweep_photos(uow_factory=uow, store=store, who=OPERATOR, dry_run=dry_run)
    if as_json:
        print_json(
            {
                "dry_run": done.dry_run,
                "checked": done.checked,
                "orphans": done.orphans,
                "kept": done.kept,
                "temporary": done.leftovers,
            }
        )
        return
    verb = "Would delete" if dry_run else "Deleted"
    removed = len(done.orphans) - len(done.kept)
    console.print(
        f"{verb} {removed:,} of {done.checked:,} photo file(s) that no cardholder has, and "
        f"{done.leftovers:,} temporary file(s)."
    )
    if done.kept:
        console.print(
            f"[yellow]Kept {len(done.kept):,}[/]: back in use, or could not be deleted "
            "(see the log); the next sweep tries again."
        )
