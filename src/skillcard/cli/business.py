"""``skillcard bulk-check``, ``skillcard alerts`` and ``skillcard business``: Business Check.

The command line acts as the operator. ``bulk-check`` without ``--business`` only answers;
with it, every check also goes into that business's history. ``bulk-check purge`` deletes
the pages' and API's result files once they are older than the days they are kept.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.config import get_settings
from skillcard.errors import InvalidInput, NotFound


class _CheckUnlessCommand(TyperGroup):
    """``bulk-check FILE -o OUT`` still checks a file, as it did before ``bulk-check`` had
    commands; only a command's own name (``purge``, ``run``) is taken as a command."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


class _TypedAsBulkCheck(typer.Context):
    """``run`` is implied (``bulk-check FILE -o OUT``): usage lines and hints say so."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent else super().command_path


class _Run(TyperCommand):
    context_class = _TypedAsBulkCheck


app = typer.Typer(help="Businesses and their workforce.", no_args_is_help=True)
bulk_app = typer.Typer(
    cls=_CheckUnlessCommand,
    help="Check a CSV of cards (bulk-check FILE -o OUT), or purge old results.",
    no_args_is_help=True,
)
alerts_app = typer.Typer(help="Expiry alerts for businesses.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


def _business_id(text: str) -> int:
    """A business by its id or its company registration number."""
    from skillcard.domain.business import company_number

    with uow(read_only=True) as work:
        found = work.businesses.get(int(text)) if text.isdigit() and len(text) < 8 else None
        if found is None:
            try:
                found = work.businesses.by_company_number(company_number(text))
            except InvalidInput:
                found = None
        if found is None:
            raise NotFound(f"there is no business {text!r} (give its id or company number)")
        return found.id


@bulk_app.command("run", cls=_Run)
def bulk_check(
    source: Annotated[Path, typer.Argument(help="CSV: number, surname[, scheme][, label]")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the results")],
    business: Annotated[
        str | None, typer.Option("--business", help="Record the checks for this business")
    ] = None,
    as_json: Json = False,
) -> None:
    """Check every card in a CSV file (up to 50,000 rows) and write each row's outcome. With
    --business, its rows draw on that business's check budget for the day (exit 2 if the file
    has more rows than are left)."""
    from skillcard.services.business import bulk_check as service

    if not source.is_file():
        raise InvalidInput(f"there is no file {str(source)!r}")
    business_id = _business_id(business) if business else None
    columns = (TextColumn("Checking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    bar = Progress(*columns, console=console, disable=as_json, transient=as_json)
    task = bar.add_task("rows", total=None)

    def progress(done: int, total: int) -> None:
        # Drawn from the first batch on: a file refused as unreadable shows no bar first.
        bar.start()
        bar.update(task, completed=done, total=total)

    try:
        summary = service.run_bulk(
            uow_factory=uow,
            who=OPERATOR,
            source=source,
            result=output,
            business_id=business_id,
            budget=_budget() if business_id is not None else None,
            progress=progress,
        )
    finally:
        bar.stop()
    if as_json:
        print_json({**vars(summary), "output": str(output)})
    else:
        console.print(
            f"[bold]{summary.rows:,} rows[/]: {summary.valid:,} valid, {summary.not_valid:,} "
            f"not valid, {summary.errors:,} with errors. Results in [bold]{output}[/]."
        )


@bulk_app.command("purge")
def purge(
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="Keep results this many days (default: the setting)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say which results would be deleted")
    ] = False,
    as_json: Json = False,
) -> None:
    """Delete bulk check results older than SKILLCARD_BULK_RESULT_DAYS (default 30).

    Results of checks made on the pages or through the API; their jobs then say the result
    was deleted. The daily periodic job `files.purge` does this."""
    import dataclasses

    from skillcard.cli.common import files
    from skillcard.services.business.bulk_results import purge_results

    retention = get_settings().retention()
    if days:
        retention = dataclasses.replace(retention, result_days=days)
    done = purge_results(
        uow_factory=uow, who=OPERATOR, files=files(), retention=retention, dry_run=dry_run
    )
    if as_json:
        print_json(vars(done))
        return
    verb = "Would delete" if dry_run else "Deleted"
    console.print(
        f"{verb} the results of {len(done.expired):,} bulk check(s) finished more than "
        f"{done.days} days ago."
    )
    if done.kept:
        console.print(f"[yellow]Could not delete {len(done.kept):,}[/] (see the log): kept.")


@app.command("list")
def list_businesses(as_json: Json = False) -> None:
    """Every confirmed business, with its number of people."""
    with uow(read_only=True) as work:
        rows = [
            {
                "id": b.id,
                "name": b.name,
                "company_number": b.company_number,
                "approved": b.approved,
                "people": len(work.businesses.users_of(b.id)),
            }
            for b in work.businesses.confirmed()
        ]
    if as_json:
        print_json({"businesses": rows})
        return
    table = Table("id", "name", "company number", "approved", "people")
    for row in rows:
        approved = "yes" if row["approved"] else "no"
        table.add_row(
            str(row["id"]),
            str(row["name"]),
            str(row["company_number"]),
            approved,
            str(row["people"]),
        )
    console.print(table)


def _budget():
    from skillcard.adapters.rate_limits import budget_counter
    from skillcard.services.business.business_budget import Budget

    settings = get_settings()
    return Budget(settings.budget_rules(), budget_counter(settings.redis_url))


@app.command("approve")
def approve(
    business: Annotated[str, typer.Argument(help="The business's id or company number")],
    as_json: Json = False,
) -> None:
    """Approve a registered business: its full check allowance applies at once (until then,
    SKILLCARD_UNAPPROVED_CHECKS_PER_DAY and _PER_MINUTE)."""
    from skillcard.services.business.business_budget import approve_business

    business_id = _business_id(business)
    name = approve_business(uow=uow(), who=OPERATOR, business_id=business_id)
    if as_json:
        print_json({"id": business_id, "name": name, "approved": True})
    else:
        console.print(f"[bold]{name}[/] (business {business_id}) is approved.")


@alerts_app.command("run")
def run_alerts(
    day: Annotated[
        str | None, typer.Option("--date", help="Run as on this day (YYYY-MM-DD); default today")
    ] = None,
    as_json: Json = False,
) -> None:
    """Queue each business admin's digest of cards expiring within 90, 60 or 30 days, or
    newly suspended or revoked, and post signed webhooks. Running twice sends nothing twice."""
    from skillcard.services.business import alerts, webhooks

    try:
        today = dt.date.fromisoformat(day) if day else None
    except ValueError:
        raise InvalidInput("give --date as YYYY-MM-DD") from None
    run = alerts.run_alerts(
        uow_factory=uow,
        who=OPERATOR,
        public_url=get_settings().public_url,
        post=webhooks.default_poster(get_settings()),
        retries=webhooks.retries_of(get_settings()),
        today=today,
    )
    if as_json:
        print_json(vars(run))
        return
    console.print(
        f"{run.businesses} business(es): {run.emails} digest(s) queued with {run.items} "
        f"alert(s); {run.webhooks} webhook(s) delivered."
    )
    for failure in run.webhook_failures:
        console.print(f"[yellow]Webhook not delivered (tried again later):[/] {failure}")
