"""``skillcard hse``: the item bank (QTI 3.0 import and export, listing) and the review queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.errors import InvalidInput
from skillcard.services.hse import hse_bank, hse_review

app = typer.Typer(help="The HSE assessment: item bank and attempts.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command("import")
def import_bank(
    package: Annotated[
        Path | None, typer.Argument(help="A QTI 3.0 package (zip) of items and a test")
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Import skillcard's own demo bank")] = False,
    as_json: Json = False,
) -> None:
    """Import items into the bank: changed items become new versions, the same ones stay."""
    if (package is None) == (not demo):
        raise InvalidInput("give either a QTI package (bank.zip) or --demo")
    if demo:
        counts = hse_bank.import_items(uow=uow(), who=OPERATOR, items=demo_items(), source="demo")
    else:
        assert package is not None  # a package was given, --demo was not
        if not package.is_file():
            raise InvalidInput(f"{package} is not a file")
        counts = hse_bank.import_package(
            uow=uow(), who=OPERATOR, data=package.read_bytes(), source=package.name
        )
    if as_json:
        print_json(counts)
        return
    console.print(
        f"Imported: {counts.added} new, {counts.revised} revised, {counts.unchanged} unchanged."
    )


@app.command("export")
def export_bank(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write bank.zip")],
) -> None:
    """Write the bank as it stands as a QTI 3.0 package."""
    data = hse_bank.export_package(uow=uow(read_only=True), who=OPERATOR)
    output.write_bytes(data)
    console.print(f"Wrote {output} ({len(data):,} bytes).")


@app.command("queue")
def queue(as_json: Json = False) -> None:
    """Attempts waiting for an invigilator's decision (every scheme)."""
    entries = hse_review.review_queue(uow=uow(), who=OPERATOR)
    if as_json:
        print_json({"attempts": entries})
        return
    if not entries:
        console.print("No attempts are waiting for review.")
    for e in entries:
        console.print(
            f"{e.id}  {e.candidate}  {e.state}  {e.score}/{e.out_of}  flags {e.violations}"
        )


@app.command("items")
def items(
    topic: Annotated[str, typer.Option("--topic", help="Only this topic, e.g. ppe")] = "",
    status: Annotated[str, typer.Option("--status", help="draft, live or retired")] = "",
    as_json: Json = False,
) -> None:
    """The bank: the newest version of every item, with its key."""
    settings, found = hse_bank.find_items(
        uow=uow(read_only=True), who=OPERATOR, topic=topic, status=status
    )
    if as_json:
        print_json({"items": [_item_json(i) for i in found]})
        return
    if not found:
        console.print("No items match.")
    for i in found:
        stem = i.stem if len(i.stem) <= 70 else i.stem[:69] + "…"
        console.print(
            f"{i.code}  v{i.version}  {i.status}  {settings.title_of(i.topic)}  {stem}",
            markup=False,
            highlight=False,
        )


def _item_json(item) -> dict:
    fields = ("code", "version", "topic", "status", "stem", "options", "key", "explanation")
    return {name: getattr(item, name) for name in fields}
