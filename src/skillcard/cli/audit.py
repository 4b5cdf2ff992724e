"""``skillcard audit``: check the audit log's chain."""

from __future__ import annotations

from typing import Annotated

import typer

from skillcard.cli.common import OPERATOR, console, err_console, print_json, uow
from skillcard.services.audit import verify_audit_chain

app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Check every link of the chain; name the first event that was altered or removed."""
    count, broken = verify_audit_chain(uow=uow(read_only=True), who=OPERATOR)
    if as_json:
        print_json(
            {
                "events": count,
                "intact": broken is None,
                "first_broken": None
                if broken is None
                else {"seq": broken.seq, "reason": broken.reason},
            }
        )
    elif broken is None:
        console.print(f"[bold green]Intact:[/] {count} events, every link holds.")
    else:
        err_console.print(f"[bold red]Broken[/] at event {broken.seq}: {broken.reason}.")
    if broken is not None:
        raise typer.Exit(1)
