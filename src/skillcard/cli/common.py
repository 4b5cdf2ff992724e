"""What the commands share: settings, the database, consoles and JSON output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from functools import lru_cache
from pathlib import Path
from weakref import WeakSet

from rich.console import Console
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import current_revision, head_revision, known_revision
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.config import get_settings
from skillcard.domain.accounts import Principal
from skillcard.errors import InvalidInput

console = Console()
err_console = Console(stderr=True)
OPERATOR = Principal.operator()
UPGRADE = "run `skillcard db upgrade` (or `skillcard demo` for a database with demo data)"


@lru_cache
def engine() -> Engine:
    """The settings' database as it is: for the commands that create or migrate it."""
    return make_engine(get_settings().database_url)


_CURRENT: WeakSet[Engine] = WeakSet()  # engines whose schema was found to be this code's


def database() -> Engine:
    """The settings' database, once it is known to be at this code's schema: every command
    but ``db upgrade`` and ``demo`` (which migrate) stops in one line otherwise."""
    found = engine()
    if found not in _CURRENT:
        _require_current_schema(found)
        _CURRENT.add(found)
    return found


def database_name(url: str | None = None) -> str:
    """Where the database is, in words a person can find it by (no password)."""
    parsed = make_url(url or get_settings().database_url)
    if parsed.get_backend_name() == "sqlite":
        return str(Path(parsed.database).resolve()) if parsed.database else "an in-memory database"
    return parsed.render_as_string(hide_password=True)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def cannot_open(error: DatabaseError) -> InvalidInput:
    """A database that does not answer (a server down, a wrong password, a file that is not a
    database), said in one line."""
    reason = str(error.orig or error).strip().splitlines()[0]
    return InvalidInput(f"cannot open the database at {database_name()}: {reason}")


def _require_current_schema(database: Engine) -> None:
    url = database.url.render_as_string(hide_password=False)
    where = database_name(url)
    missing = _sqlite_file(url)
    # Opening a SQLite file that is not there creates it, empty: look before connecting.
    if missing is not None and not missing.exists():
        raise InvalidInput(f"there is no skillcard database at {where}: {UPGRADE}")
    try:
        current = current_revision(database)
    except DatabaseError as error:  # not reachable, or not a database at all
        raise cannot_open(error) from None
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise InvalidInput(f"the database at {where} has no skillcard tables yet: {UPGRADE}")
    if known_revision(current):
        raise InvalidInput(
            f"the database at {where} is at revision {current}, older than this skillcard's "
            f"{head}: run `skillcard db upgrade`"
        )
    raise InvalidInput(
        f"the database at {where} is at revision {current}, which this skillcard does not "
        f"know (it stops at {head}): it was migrated by a newer skillcard; upgrade skillcard"
    )


def files():
    """The settings' file store (a directory, or the database's table)."""
    from skillcard.adapters.file_stores import file_store_for

    settings = get_settings()
    return file_store_for(settings, database() if settings.file_store == "database" else None)


def uow(read_only: bool = False) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(
        database(), read_only=read_only, secret_key=get_settings().secret_key
    )


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def print_json(value) -> None:
    """One JSON object on standard output, nothing else (for scripts)."""
    sys.stdout.write(json.dumps(_plain(value), ensure_ascii=False) + "\n")
