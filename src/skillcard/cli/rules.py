"""``skillcard rules``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Eligibility rules for card types.", no_args_is_help=True)
