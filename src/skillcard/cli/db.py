"""``skillcard db``: create or upgrade the schema, and load the reference data."""

from __future__ import annotations

import typer
from sqlalchemy.exc import DatabaseError, OperationalError

from skillcard.adapters.db.migrate import current_revision, upgrade
from skillcard.cli.common import OPERATOR, cannot_open, console, database_name, engine, uow
from skillcard.errors import InvalidInput
from skillcard.services.registry.reference_data import install_reference_data, read_reference_data

app = typer.Typer(help="The database: create, upgrade, load reference data.", no_args_is_help=True)


def prepare_database(quiet: bool = False) -> dict[str, int]:
    """Migrate to the newest schema and install the shipped reference data (idempotent)."""
    try:
        current_revision(engine())
    except DatabaseError as error:  # not reachable, or not a database at all
        raise cannot_open(error) from None
    try:
        upgrade(engine())
    except RuntimeError as refused:
        # A migration that finds data it cannot carry over stops and says why (exit 2).
        raise InvalidInput(
            f"the database at {database_name()} was not upgraded: {refused}"
        ) from None
    except OperationalError as error:
        raise cannot_open(error) from None
    data = read_reference_data()
    with uow() as work:
        counts = install_reference_data(work, data, actor=OPERATOR.label)
        work.commit()
    if not quiet:
        console.print(
            f"Database at revision [bold]{current_revision(engine())}[/]: {database_name()}"
        )
    return counts


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the schema to the newest revision and load the reference data."""
    counts = prepare_database()
    added = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    console.print(f"Reference data: {added or 'already up to date'}")
