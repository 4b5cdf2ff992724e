"""``skillcard check``: Smart Check by card number and surname, from the command line.

Exit 0 when the card is valid (expiring soon included), 1 when it is not (no_match included),
2 for bad input such as a wrong check digit. The check is logged as the operator's.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.services.checks import checks
from skillcard.services.checks.checks import PublicCheckResult

STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red"}


def _show(result: PublicCheckResult) -> None:
    view = result.view
    verdict = view.outcome.value.replace("_", " ")
    if view.warnings:
        verdict += " (" + ", ".join(w.replace("_", " ") for w in view.warnings) + ")"
    table = Table(show_header=False, box=None, pad_edge=False)
    rows = [
        ("Result", f"[{STYLE[view.colour.value]}]{verdict}[/]"),
        ("Card", f"{view.card_number} ({view.scheme})"),
        ("Holder", view.holder_name),
        ("Card type", view.card_type),
        ("Occupation", view.occupation),
        ("Expires", view.expires_on.isoformat() if view.expires_on else None),
        ("Qualifications", "; ".join(view.qualifications) or None),
        ("Why", " ".join(view.reasons)),
    ]
    for label, value in rows:
        if value:
            table.add_row(f"[dim]{label}[/]", value)
    console.print(table)


def check(
    number: Annotated[str, typer.Argument(help="The card number, e.g. ECS00012344")],
    surname: Annotated[str, typer.Option("--surname", help="The surname on the card")],
    scheme: Annotated[
        str | None, typer.Option("--scheme", help="Scheme code, if not clear from the number")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Check a card of any scheme by its number and its holder's surname."""
    result = checks.check_card(
        uow=uow(), number=number, surname=surname, scheme_code=scheme, who=OPERATOR
    )
    if as_json:
        print_json(
            {**vars(result.view), "valid": result.view.valid, "checked_at": result.checked_at}
        )
    else:
        _show(result)
    if not result.view.valid:
        raise typer.Exit(1)
