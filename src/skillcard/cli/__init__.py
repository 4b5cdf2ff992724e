"""The ``skillcard`` command. Commands parse, call a service and print; nothing more.

Exit codes (DESIGN.md): 0 the thing asked for succeeded (or the card is valid), 1 a card check
came out not valid, 2 bad usage or bad input.
"""

from __future__ import annotations

import sys

import click
import typer

from skillcard.cli import audit, card, db, seed, serve, user
from skillcard.cli.common import err_console
from skillcard.errors import SkillcardError

app = typer.Typer(
    name="skillcard",
    help="Registry, digital cards and checks for construction skills card schemes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(card.app, name="card")
app.add_typer(user.app, name="user")
app.add_typer(audit.app, name="audit")
app.command("seed")(seed.seed)
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every failure into a clear message and the contract's exit code."""
    try:
        result = app(args=argv, standalone_mode=False)
    except SkillcardError as error:
        err_console.print(f"[bold red]Error:[/] {error.message}")
        return 2
    except click.exceptions.UsageError as error:
        error.show()
        return 2
    except click.exceptions.Abort:
        err_console.print("Stopped.")
        return 2
    except click.exceptions.Exit as done:
        return done.exit_code
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
