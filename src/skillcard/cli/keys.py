"""``skillcard keys``: list the signing keys, and rotate one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.services.credentials import signing

app = typer.Typer(help="Signing keys: list them, rotate one.", no_args_is_help=True)


@app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Every scheme's keys and the hub's, current and retired (missing ones are made)."""
    views = signing.list_keys(uow=uow())
    if as_json:
        print_json({"keys": views})
        return
    table = Table("scheme", "kid", "status", "signs from", "signs until", "verifies until")
    for v in views:
        table.add_row(
            v.scheme,
            v.kid,
            v.status,
            f"{v.valid_from:%Y-%m-%d %H:%M}",
            f"{v.valid_until:%Y-%m-%d %H:%M}" if v.valid_until else "-",
            v.verify_until.isoformat() if v.verify_until else "-",
        )
    console.print(table)


@app.command("rotate")
def rotate(
    scheme: Annotated[str, typer.Argument(help="Scheme code, or HUB for the hub's own key")],
    reason: Annotated[str, typer.Option("--reason", help="Why: it goes into the audit log")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """A new signing key from now on; the old one keeps verifying the cards it signed."""
    new = signing.rotate_key(uow=uow(), who=OPERATOR, scheme_code=scheme, reason=reason)
    if as_json:
        print_json({"scheme": scheme.upper(), "kid": new.kid, "valid_from": new.valid_from})
    else:
        console.print(f"{scheme.upper()} now signs with key [bold]{new.kid}[/]")
