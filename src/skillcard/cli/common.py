"""What the commands share: settings, the database, consoles and JSON output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from functools import lru_cache

from rich.console import Console

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.config import get_settings
from skillcard.domain.accounts import Principal

console = Console()
err_console = Console(stderr=True)
OPERATOR = Principal.operator()


@lru_cache
def engine():
    return make_engine(get_settings().database_url)


def uow(read_only: bool = False) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(engine(), read_only=read_only)


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
