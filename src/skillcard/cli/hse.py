"""``skillcard hse``."""

from __future__ import annotations

import typer

app = typer.Typer(help="The HSE assessment: item bank and attempts.", no_args_is_help=True)
