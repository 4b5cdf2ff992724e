"""``skillcard cardholder``: register people and read their record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcard.cli.common import OPERATOR, console, files, print_json, uow
from skillcard.services.registry import cardholders

app = typer.Typer(help="Register a cardholder or show their record.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command("add")
def add(
    given_names: Annotated[str, typer.Option("--given-names", help="First and middle names")],
    surname: Annotated[str, typer.Option("--surname", help="Family name")],
    date_of_birth: Annotated[
        dt.datetime | None, typer.Option("--date-of-birth", formats=["%Y-%m-%d"])
    ] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    as_json: Json = False,
) -> None:
    """Register a cardholder; prints their id, which `card issue --cardholder` takes."""
    holder_id = cardholders.register_cardholder(
        uow=uow(),
        who=OPERATOR,
        given_names=given_names,
        surname=surname,
        date_of_birth=date_of_birth.date() if date_of_birth else None,
        email=email,
    )
    if as_json:
        print_json({"id": holder_id})
    else:
        console.print(f"Registered cardholder [bold]{holder_id}[/].")


@app.command("show")
def show(
    cardholder_id: Annotated[int, typer.Argument(help="The cardholder's id")], as_json: Json = False
) -> None:
    """A cardholder's record: cards and qualifications."""
    record = cardholders.cardholder_record(
        uow=uow(read_only=True), who=OPERATOR, cardholder_id=cardholder_id
    )
    if as_json:
        print_json(record)
        return
    console.print(f"[bold]{record.full_name}[/] (cardholder {record.id})")
    table = Table("Card", "Scheme", "Type", "Expires", "State")
    for card in record.cards:
        table.add_row(
            card.number,
            card.scheme_code,
            card.card_type_title,
            card.expires_on.isoformat(),
            card.state,
        )
    console.print(table)
    for q in record.qualifications:
        checked = "verified" if q.verified else "self-declared"
        console.print(f"  {q.title}, {q.achieved_on.isoformat()} ({checked})")


@app.command("photo")
def photo(
    cardholder_id: Annotated[int, typer.Argument(help="The cardholder's id")],
    file: Annotated[
        Path, typer.Argument(help="A JPEG or PNG photo of the face", exists=True, dir_okay=False)
    ],
    as_json: Json = False,
) -> None:
    """Give a cardholder a photo (checked, re-encoded and stored by its SHA-256)."""
    from skillcard.adapters.photos import MAX_UPLOAD_BYTES, PhotoStore
    from skillcard.services.registry import photos

    with file.open("rb") as handle:
        data = handle.read(MAX_UPLOAD_BYTES + 1)
    digest = photos.set_photo(
        uow=uow(),
        store=PhotoStore(files()),
        who=OPERATOR,
        cardholder_id=cardholder_id,
        data=data,
    )
    if as_json:
        print_json({"id": cardholder_id, "photo_sha256": digest})
    else:
        console.print(f"Cardholder [bold]{cardholder_id}[/] has a new photo ({digest[:12]}…).")
