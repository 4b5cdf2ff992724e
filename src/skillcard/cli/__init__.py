"""The ``skillcard`` command. Commands parse, call a service and print; nothing more.

Exit codes (docs/contracts.md): 0 the thing asked for succeeded (or the card is valid), 1 a
card check (or an audit check) came out not valid, 2 bad usage or bad input, 3 an
unexpected failure.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Annotated

import typer
from rich.markup import escape

from skillcard.cli import (
    audit,
    business,
    card,
    cardholder,
    check,
    connector,
    cpd,
    db,
    files,
    hse,
    keys,
    outbox,
    photos,
    rules,
    seed,
    serve,
    trust,
    user,
    verify,
    worker,
)
from skillcard.cli.common import console, err_console
from skillcard.cli.help_text import make_readable
from skillcard.errors import SkillcardError

INTERNAL_ERROR = 3
app = typer.Typer(
    name="skillcard",
    help="Registry, digital cards and checks for construction skills card schemes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        console.print(f"skillcard {version('skillcard')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and stop"
        ),
    ] = False,
) -> None:
    """Registry, digital cards and checks for construction skills card schemes."""


app.add_typer(db.app, name="db")
app.add_typer(cardholder.app, name="cardholder")
app.add_typer(card.app, name="card")
app.add_typer(user.app, name="user")
app.add_typer(audit.app, name="audit")
app.command("seed")(seed.seed)
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)
app.command("worker")(worker.worker)
app.command("check")(check.check)
app.add_typer(keys.app, name="keys")
app.add_typer(trust.app, name="trust")
app.command("verify")(verify.verify)
app.add_typer(outbox.app, name="outbox")
app.add_typer(business.bulk_app, name="bulk-check")
app.add_typer(business.app, name="business")
app.add_typer(business.alerts_app, name="alerts")
app.add_typer(hse.app, name="hse")
app.add_typer(cpd.app, name="cpd")
app.add_typer(rules.app, name="rules")
app.add_typer(photos.app, name="photos")
app.add_typer(files.app, name="files")
app.command("import")(connector.import_cards)
app.add_typer(connector.app, name="connector")


@lru_cache
def _command():
    """The click command tree behind ``app``, with help that reads as words."""
    return make_readable(typer.main.get_command(app))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every failure into a clear message and the contract's exit code."""
    try:
        # Standalone mode prints usage errors itself and exits 2, as the contract wants.
        _command()(args=argv, prog_name="skillcard")
    except SkillcardError as error:
        # One line however long (a terminal wraps it; a log or a script sees one line).
        err_console.print(f"[bold red]Error:[/] {escape(error.message)}", soft_wrap=True)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except Exception:
        # A bug, not bad input: say so, and keep exit 1 for "card not valid".
        err_console.print_exception()
        err_console.print("[bold red]skillcard failed unexpectedly[/]: please report this.")
        return INTERNAL_ERROR
    return 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
