"""``skillcard rules``: check the rule files, and what a holder meets and lacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.errors import InvalidInput
from skillcard.services.registry import eligibility

app = typer.Typer(help="Eligibility rules for card types.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]
RulesDir = Annotated[
    Path | None, typer.Option("--rules-dir", help="A folder of rule files (default: shipped)")
]


@app.command("check")
def check(
    holder: Annotated[int, typer.Argument(help="The cardholder's id")],
    card_type: Annotated[str, typer.Argument(help="An occupation or card type code")],
    scheme: Annotated[str, typer.Option("--scheme", help="The scheme's code")] = "ECS",
    rules_dir: RulesDir = None,
    as_json: Json = False,
) -> None:
    """Every reason, met and unmet. Exit 0 if the holder is eligible, 1 if not."""
    book = eligibility.load_rule_book(rules_dir) if rules_dir else None
    decision = eligibility.check_eligibility(
        uow=uow(read_only=True),
        who=OPERATOR,
        cardholder_id=holder,
        scheme_code=scheme,
        code=card_type,
        book=book,
    )
    if as_json:
        print_json(decision)
    else:
        verdict = "[bold green]eligible[/]" if decision.eligible else "[bold red]not eligible[/]"
        console.print(f"{decision.title} ({decision.card_type}): {verdict}")
        for reason in decision.reasons:
            mark = (
                "[green]✓[/]" if reason.met else ("[yellow]…[/]" if reason.pending else "[red]✗[/]")
            )
            console.print(f"  {mark} {reason.text}")
    raise typer.Exit(0 if decision.eligible else 1)


@app.command("lint")
def lint(rules_dir: RulesDir = None, as_json: Json = False) -> None:
    """Read every rule file; the file, line and reason of the first fault (exit 2)."""
    book = eligibility.load_rule_book(rules_dir)
    if as_json:
        print_json({"rules": len(book.rules), "ok": True})
    else:
        console.print(f"{len(book.rules)} rules read, no faults.")


@app.command("list")
def list_rules(
    scheme: Annotated[str, typer.Option("--scheme")] = "ECS",
    rules_dir: RulesDir = None,
    as_json: Json = False,
) -> None:
    """The occupations a scheme has rules for."""
    book = eligibility.load_rule_book(rules_dir) if rules_dir else None
    rules = eligibility.rules_of_scheme(scheme_code=scheme, book=book)
    if as_json:
        print_json(
            {
                "rules": [
                    {
                        "occupation": r.name,
                        "title": r.title,
                        "card_type": r.card_type,
                        "source": r.source,
                    }
                    for r in rules
                ]
            }
        )
        return
    table = Table("Occupation", "Title", "Card type", "Where")
    for r in rules:
        table.add_row(r.name, r.title, r.card_type, r.source)
    console.print(table)


@app.command("reevaluate")
def reevaluate(
    occupation: Annotated[str, typer.Argument(help="An occupation or card type code")],
    scheme: Annotated[str, typer.Option("--scheme", help="The scheme's code")] = "ECS",
    rules_dir: RulesDir = None,
    queue: Annotated[
        bool,
        typer.Option("--queue", help="Run it as a background job; its counts go to the audit log"),
    ] = False,
    as_json: Json = False,
) -> None:
    """Every holder of the scheme's active cards against one rule: run it after a rule change."""
    from skillcard.services.registry.eligibility_bulk import queue_reevaluation, reevaluate_scheme

    if queue:
        if rules_dir:
            raise InvalidInput("--queue re-evaluates against the shipped rules: drop --rules-dir")
        queue_reevaluation(uow=uow(), who=OPERATOR, scheme_code=scheme, code=occupation)
        if as_json:
            print_json({"queued": True})
        else:
            console.print("Queued: its counts will be in the audit log (eligibility.reevaluated).")
        return
    book = eligibility.load_rule_book(rules_dir) if rules_dir else None
    result = reevaluate_scheme(
        uow=uow(read_only=True), who=OPERATOR, scheme_code=scheme, code=occupation, book=book
    )
    if as_json:
        print_json(
            {
                "rule": result.rule,
                "holders": result.holders,
                "eligible": result.eligible,
                "unmet": dict(result.unmet.most_common()),
            }
        )
        return
    console.print(f"{result.rule}: {result.eligible} of {result.holders} holders meet the rule.")
    for reason, count in result.unmet.most_common(5):
        console.print(f"  {count} {reason}")


@app.command("hse-pass")
def hse_pass(
    holder: Annotated[int, typer.Argument(help="The cardholder's id")],
    passed_on: Annotated[
        dt.datetime, typer.Option("--passed-on", formats=["%Y-%m-%d"], help="Date of the pass")
    ],
) -> None:
    """Record a test-centre HSE pass (valid 2 years), until the online assessment records its
    own."""
    from skillcard.services.registry.eligibility_hse import record_hse_pass

    record_hse_pass(uow=uow(), who=OPERATOR, cardholder_id=holder, passed_on=passed_on.date())
    console.print(f"Recorded an HSE pass of {passed_on.date().isoformat()} for holder {holder}.")
