"""``skillcard trust``: write the verifier bundle for offline checks; rebuild the status lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from skillcard.cli.common import console, uow
from skillcard.services.credentials import trust

app = typer.Typer(help="The trust list and the verifier bundle.", no_args_is_help=True)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("-o", "--output", help="Where to write bundle.json")],
) -> None:
    """Write the verifier bundle: the hub-signed trust list and every status list."""
    bundle = trust.verifier_bundle(uow=uow())
    out.write_text(json.dumps(bundle, indent=1, sort_keys=True), encoding="utf-8")
    hub = bundle["trust_list"]["hub"]
    console.print(
        f"Wrote {out}: {len(bundle['trust_list']['keys'])} keys, "
        f"{len(bundle['status_lists'])} status lists. Hub key to pin: {hub['public_key']}"
    )


@app.command("rebuild-status")
def rebuild_status(
    scheme: Annotated[
        list[str] | None, typer.Option("--scheme", help="Only this scheme (repeatable)")
    ] = None,
) -> None:
    """Rebuild and re-sign the status lists from the cards, after cards changed in bulk."""
    from skillcard.services.audit.audit import utcnow
    from skillcard.services.credentials.status_lists import rebuild_status_lists
    from skillcard.services.registry.registry import scheme_named

    ids = None
    if scheme:
        with uow() as reading:
            ids = [scheme_named(reading, code).id for code in scheme]
    count = rebuild_status_lists(uow=uow(), scheme_ids=ids, now=utcnow())
    console.print(f"Rebuilt and signed {count} status lists.")
