"""``skillcard seed``: fill the registry with a synthetic, deterministic population."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from skillcard.cli.common import console, database, print_json
from skillcard.config import get_settings
from skillcard.errors import InvalidInput
from skillcard.services.clock import card_today


def seed(
    cards: Annotated[int, typer.Option("--cards", help="How many cards to create")],
    schemes: Annotated[int, typer.Option("--schemes", help="Across how many schemes")] = 38,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same registry")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Create N synthetic cards with realistic names and spread-out expiry dates."""
    from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
    from skillcard.services.demo.seed import seed_registry

    if not 1 <= cards <= 10_000_000:
        raise InvalidInput("--cards must be between 1 and 10,000,000")
    if not 1 <= schemes <= 38:
        raise InvalidInput("--schemes must be between 1 and 38")
    registry = database()  # a missing database is said before any bar is drawn
    columns = (TextColumn("Seeding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=as_json, transient=as_json) as bar:
        task = bar.add_task("cards", total=cards)
        summary = seed_registry(
            uow=SqlAlchemyUnitOfWork(registry, secret_key=get_settings().secret_key),
            cards=cards,
            schemes=schemes,
            seed=seed,
            today=card_today(),
            progress=lambda done: bar.update(task, completed=done),
        )
    if as_json:
        print_json(summary)
        return
    console.print(
        f"Loaded [bold]{summary.cards:,}[/] cards for {summary.cardholders:,} cardholders in "
        f"{summary.seconds:.1f} s: {summary.expired:,} expired, {summary.expiring_soon:,} "
        f"expiring within 90 days, {summary.suspended:,} suspended, {summary.revoked:,} revoked."
    )
