"""``skillcard audit``: check the audit log's chain, and anchor it with signed checkpoints."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer

from skillcard.cli.common import OPERATOR, console, err_console, print_json, uow
from skillcard.errors import InvalidInput
from skillcard.services.audit import audit_checkpoints as anchoring

app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)
checkpoints_app = typer.Typer(help="The hub's signed checkpoints of the chain.")
app.add_typer(checkpoints_app, name="checkpoints")
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command("verify")
def verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="Checkpoints kept outside the database (an export, or a saved API page)",
        ),
    ] = None,
    hub_key: Annotated[
        list[str] | None,
        typer.Option(
            "--hub-key",
            help="Pinned hub public key (base64url SEC1; repeat for keys rotated out). "
            "Without it, the hub keys in the database vouch for the checkpoints",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Check every link of the chain and every checkpoint; name the first event that was
    altered, rewritten or removed (exit 1)."""
    statements = None
    if checkpoints is not None:
        try:
            data = checkpoints.read_bytes()
        except OSError as error:
            raise InvalidInput(f"cannot read {checkpoints}: {error.strerror}") from None
        statements = anchoring.read_checkpoints(data)
    pinned = [_key(text) for text in hub_key or []]
    check = anchoring.check_audit_log(
        uow=uow(read_only=True), who=OPERATOR, checkpoints=statements, hub_keys=pinned or None
    )
    broken = check.broken
    if as_json:
        print_json(
            {
                "events": check.events,
                "intact": check.intact,
                "checkpoints": check.anchored,
                "key_source": check.key_source,
                "refused": check.refused,
                "first_broken": None
                if broken is None
                else {"seq": broken.seq, "reason": broken.reason},
            }
        )
    else:
        for refused in check.refused:
            err_console.print(f"[bold red]Refused:[/] {refused}.")
        if broken is not None:
            err_console.print(f"[bold red]Broken[/] at event {broken.seq}: {broken.reason}.")
        elif check.intact:
            console.print(
                f"[bold green]Intact:[/] {check.events} events, every link holds, and "
                f"{check.anchored} checkpoints signed by the hub's key ({check.key_source}) "
                "match."
            )
        if checkpoints is None:
            # Said every time: the database's own checkpoints fall to whoever can rewrite it.
            console.print(
                "Only the checkpoints the database holds were used: whoever can write to the "
                "database could remove those too. Check against copies kept elsewhere with "
                "--checkpoints FILE (and pin the hub key with --hub-key)."
            )
    if not check.intact:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint(as_json: Json = False) -> None:
    """Sign the chain's head (sequence, hash, time) with the hub's key, now."""
    made, new = anchoring.make_checkpoint(uow=uow(), who=OPERATOR)
    if made is None:
        raise InvalidInput("the audit log is empty: there is nothing to sign yet")
    if as_json:
        print_json({"seq": made.seq, "hash": made.hash, "kid": made.kid, "new": new})
        return
    said = "Signed" if new else "Already signed"
    console.print(
        f"[bold green]{said}:[/] the chain's head at event {made.seq} ({made.hash[:16]}...), "
        f"hub key {made.kid}. Keep a copy elsewhere: skillcard audit checkpoints export."
    )


@checkpoints_app.command("export")
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="JSON file to write")],
) -> None:
    """Write every checkpoint to a file, to keep outside the database."""
    document = anchoring.export_checkpoints(uow=uow(read_only=True))
    try:
        output.write_text(json.dumps(document, indent=1) + "\n")
    except OSError as error:
        raise InvalidInput(f"cannot write {output}: {error.strerror}") from None
    console.print(f"Wrote {len(document['checkpoints'])} checkpoints to [bold]{output}[/].")


def _key(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise InvalidInput("--hub-key is not base64url") from None
