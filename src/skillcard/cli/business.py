"""``skillcard bulk-check``, ``skillcard alerts`` and ``skillcard business``: Business Check."""

from __future__ import annotations

import typer

app = typer.Typer(help="Businesses and their workforce.", no_args_is_help=True)
alerts_app = typer.Typer(help="Expiry alerts for businesses.", no_args_is_help=True)


def bulk_check() -> None:
    """Check every card in a CSV file (not built yet)."""
    raise typer.Exit(2)
