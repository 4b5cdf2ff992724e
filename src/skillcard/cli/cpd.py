"""``skillcard cpd``."""

from __future__ import annotations

import typer

app = typer.Typer(help="CPD records and audits.", no_args_is_help=True)
