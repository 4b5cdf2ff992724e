"""Each database's :class:`SchemeDirectory`, kept in this process for the threaded checks (the
check page, the CLI, SQLite's API, business and bulk checks), read again by the directory's one
rule (``domain/scheme_directory.py``).

Copies of a scheme are handed out, so nothing a caller does to one reaches the directory or a
session. A scheme added in this process drops the directories once its transaction commits.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from skillcard.adapters.db import tables
from skillcard.domain.scheme_directory import EMPTY, SchemeDirectory, resolve_or_reread
from skillcard.domain.schemes import Scheme

_FIELDS = [f.name for f in dataclasses.fields(Scheme)]
_lock = threading.Lock()
_by_database: dict[str, SchemeDirectory] = {}


def directory(session: Session) -> SchemeDirectory:
    """The database's directory, read again if it is stale."""
    key = _key(session)
    found = _by_database.get(key, EMPTY)
    now = time.monotonic()
    return _read(session, key, now) if found.is_stale(now) else found


def resolve(session: Session, number: str, scheme_code: str | None) -> tuple[Scheme, str]:
    """The scheme of a card number (named by code, or found by prefix) and the number checked
    against its format; a copy of the scheme (see the module's note)."""
    now = time.monotonic()
    found = directory(session)
    answer = resolve_or_reread(found, number, scheme_code, now=now)
    if answer is None:
        answer = _read(session, _key(session), now).resolve(number, scheme_code)
    scheme, normalised = answer
    return copy(scheme), normalised


def resolver(session: Session) -> Callable[[str, str | None], tuple[Scheme, str]]:
    """:func:`resolve` for many numbers (a bulk check's batch): one directory held for them
    all, read again by the same rule, and the schemes themselves handed out, not copies (the
    caller only reads them)."""
    held = directory(session)

    def resolve(number: str, scheme_code: str | None) -> tuple[Scheme, str]:
        nonlocal held
        now = time.monotonic()
        answer = resolve_or_reread(held, number, scheme_code, now=now)
        if answer is None:
            held = _read(session, _key(session), now)
            answer = held.resolve(number, scheme_code)
        return answer

    return resolve


def forget() -> None:
    """Drop every directory (a scheme was added or changed in this process)."""
    with _lock:
        _by_database.clear()


def copy(scheme: Scheme) -> Scheme:
    return Scheme(**{name: getattr(scheme, name) for name in _FIELDS})


def _key(session: Session) -> str:
    return _rendered(session.get_bind().engine.url)


@functools.lru_cache(maxsize=64)
def _rendered(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)  # costs more than the look-up it keys


def _read(session: Session, key: str, now: float) -> SchemeDirectory:
    s = tables.schemes.c
    rows = session.execute(sa.select(*(s[name] for name in _FIELDS))).all()
    read = SchemeDirectory((Scheme(**row._asdict()) for row in rows), now)
    with _lock:
        _by_database[key] = read
    return read
